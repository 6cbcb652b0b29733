"""A rebuild after one site's data changed reads again only the pages that changed.

Sphinx reads every page again when one of its settings changes, and a page when its source
or a file it includes changes. The book's build date and commit are on the front page
(helpers.book.citation), so a build on a new day, as after a commit, must not re-read the book.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from support.pipeline import linkbook, make_project


def _doctrees(project: Path) -> dict[str, int]:
    folder = project / ".linkbook-cache" / "sphinx" / "_build" / ".doctrees"
    return {str(p.relative_to(folder).with_suffix("")): p.stat().st_mtime_ns for p in folder.rglob("*.doctree")}


def _change_one_answer(table: Path, site: str) -> None:
    rows = list(csv.DictReader(io.StringIO(table.read_text(encoding="utf-8"))))
    row = next(r for r in rows if r["participant_id"].startswith(f"{site}-") and r["ons_happy"])
    row["ons_happy"] = str((int(row["ons_happy"]) + 1) % 11)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    table.write_text(out.getvalue(), encoding="utf-8")


def test_one_site_changed_on_a_new_day_re_reads_its_pages_and_the_front_page(tmp_path, monkeypatch):
    project = make_project(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    first = linkbook(project, "build", "--jobs", "2")
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    before = _doctrees(project)
    assert "book/index" in before and "book/generated/sites/S2" in before

    _change_one_answer(project / "data" / "synthetic" / "questionnaires.csv", "S2")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(1700000000 + 86400))  # the next day
    second = linkbook(project, "build", "--jobs", "2")
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    after = _doctrees(project)
    re_read = {page for page, mtime in after.items() if mtime != before.get(page)}
    # the site's chapter, the syntheses that pool it, the provenance appendix (the run's record)
    # and the front page (its build date)
    assert re_read == {"book/generated/sites/S2", "book/generated/synthesis/outcomes",
                       "book/generated/synthesis/realist", "book/generated/provenance", "book/index"}, re_read
    assert "built 2023-11-15" in (project / "_build" / "html" / "book" / "index.html").read_text(encoding="utf-8")
