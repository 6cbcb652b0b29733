"""Notebook templates: MyST Markdown text, parameterised, and runnable on their own defaults."""

from __future__ import annotations

import jupytext
import papermill
import pytest
import yaml

from support.pipeline import make_project

from support import ROOT
from helpers.pipeline.templates import read_template

TEMPLATES = sorted((ROOT / "notebooks").glob("*.md"))


def test_pipeline_declares_every_template():
    spec = yaml.safe_load((ROOT / "notebooks" / "pipeline.yml").read_text())
    assert sorted(e["template"] for e in spec["notebooks"]) == sorted(p.name for p in TEMPLATES)


@pytest.mark.parametrize("path", TEMPLATES, ids=[p.stem for p in TEMPLATES])
def test_template_is_stored_without_outputs_and_hides_its_parameters(path):
    notebook = read_template(path)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    parameters = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(parameters) == 1 and "remove-cell" in parameters[0].metadata["tags"]
    assert "truth.json" not in "".join(c.source for c in notebook.cells)


def test_site_template_runs_on_its_own_defaults(tmp_path):
    """As a researcher would open it in Jupyter: from notebooks/, site S1 of the embedded data."""
    project = make_project(tmp_path)
    out = tmp_path / "executed.ipynb"
    papermill.execute_notebook(read_template(project / "notebooks" / "site.md"), str(out), cwd=str(project / "notebooks"),
                               kernel_name="python3", progress_bar=False)
    assert (project / "results" / "parts" / "site-S1" / "outcomes.csv").is_file()


@pytest.mark.parametrize("path", TEMPLATES, ids=[p.stem for p in TEMPLATES])
def test_template_is_myst_text_that_round_trips(path):
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n") and "format_name: myst" in text and "```{code-cell}" in text
    assert '"cell_type"' not in text  # no notebook JSON
    assert jupytext.writes(read_template(path), fmt="md:myst") == text
