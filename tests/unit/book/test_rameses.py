"""Every RAMESES II item points at a place in the book that exists."""

from __future__ import annotations

import re

import yaml

from support import ROOT

SPEC = yaml.safe_load((ROOT / "book" / "rameses.yml").read_text(encoding="utf-8"))


def defined_labels() -> set[str]:
    """MyST labels `(name)=` in the chapters and in the notebook templates."""
    labels = set()
    for path in [*(ROOT / "book").glob("*.md"), *(ROOT / "notebooks").glob("*.md")]:
        labels |= set(re.findall(r"\(([a-z0-9-]+)\)=", path.read_text(encoding="utf-8")))
    return labels


def toc_files() -> set[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    return {toc["root"]} | {c["file"] for part in toc["parts"] for c in part.get("chapters") or []}


def test_all_twenty_items_are_listed_once():
    assert [item["number"] for item in SPEC["items"]] == list(range(1, 21))


def test_every_item_has_a_target_that_exists():
    labels, files = defined_labels(), toc_files()
    for item in SPEC["items"]:
        targets = [key for key in ("ref", "doc") if item.get(key)]
        assert len(targets) == 1, f"item {item['number']} needs exactly one target"
        if "ref" in item:
            assert item["ref"] in labels, f"item {item['number']}: label {item['ref']!r} is not defined"
        else:
            assert f"book/{item['doc']}" in files, f"item {item['number']}: {item['doc']} is not in _toc.yml"


STATUSES = {"reported", "partly reported", "not reported"}


def test_every_item_has_a_status_and_a_partial_one_says_what_is_missing():
    for item in SPEC["items"]:
        assert item.get("status") in STATUSES, f"item {item['number']}: status {item.get('status')!r}"
        if item["status"] != "reported":
            assert item.get("note"), f"item {item['number']} is {item['status']} without a note saying why"


def test_the_appendix_shows_each_items_status_in_its_own_column(tmp_path):
    from helpers.book.build import rameses_page
    from helpers.core.project import Project

    (tmp_path / "book").mkdir()
    spec = {"items": [{"number": 1, "item": "Title", "status": "reported", "ref": "book-title"},
                      {"number": 2, "item": "Summary", "status": "partly reported", "doc": "summary", "note": "why"}]}
    (tmp_path / "book" / "rameses.yml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    rows = [line.split("|")[1:-1] for line in rameses_page(Project(tmp_path)).splitlines() if line.startswith("| ")]
    header = [cell.strip() for cell in rows[0]]
    status = header.index("status")
    assert [cell.strip() for cell in rows[1]][status] == "reported"
    assert [cell.strip() for cell in rows[2]][status] == "partly reported"
