"""Notebook templates: stored clean, parameterised, and runnable on their own defaults."""

from __future__ import annotations

import nbformat
import papermill
import pytest
import yaml

from pipeline_support import make_project

from conftest import ROOT

TEMPLATES = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_pipeline_declares_every_template():
    spec = yaml.safe_load((ROOT / "notebooks" / "pipeline.yml").read_text())
    assert sorted(e["template"] for e in spec["notebooks"]) == sorted(p.name for p in TEMPLATES)


@pytest.mark.parametrize("path", TEMPLATES, ids=[p.stem for p in TEMPLATES])
def test_template_is_stored_without_outputs_and_hides_its_parameters(path):
    notebook = nbformat.read(path, as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    parameters = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(parameters) == 1 and "remove-cell" in parameters[0].metadata["tags"]
    assert "truth.json" not in "".join(c.source for c in notebook.cells)


def test_site_template_runs_on_its_own_defaults(tmp_path):
    """As a researcher would open it in Jupyter: from notebooks/, site S1 of the embedded data."""
    project = make_project(tmp_path)
    out = tmp_path / "executed.ipynb"
    papermill.execute_notebook(str(project / "notebooks" / "site.ipynb"), str(out), cwd=str(project / "notebooks"),
                               kernel_name="python3", progress_bar=False)
    assert (project / "results" / "parts" / "site-S1" / "outcomes.csv").is_file()
