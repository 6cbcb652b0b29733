"""read_template keeps each parsed template: the same notebook as jupytext reads, a copy per caller,
and a template edited between two reads is read afresh."""

from __future__ import annotations

import shutil

import jupytext

from helpers.pipeline.templates import read_template

from support import ROOT


def _content(notebook):
    return [(c.cell_type, c.source, dict(c.metadata)) for c in notebook.cells], dict(notebook.metadata)


def test_every_template_reads_as_jupytext_reads_it_and_each_caller_gets_its_own_copy():
    for path in sorted((ROOT / "notebooks").glob("*.md")):
        first, second = read_template(path), read_template(path)
        assert _content(first) == _content(second) == _content(jupytext.read(path))
        first.cells[1].source = "changed by papermill"
        first.metadata["papermill"] = {}
        assert _content(read_template(path)) == _content(jupytext.read(path))


def test_an_edited_template_is_read_again(tmp_path):
    path = tmp_path / "site.md"
    shutil.copy(ROOT / "notebooks" / "site.md", path)
    before = read_template(path)
    title = "# {glue:text}`site_title`"
    path.write_text(path.read_text(encoding="utf-8").replace(title, "# One site"), encoding="utf-8")
    after = read_template(path)
    assert title in before.cells[0].source
    assert "# One site" in after.cells[0].source and title not in after.cells[0].source
