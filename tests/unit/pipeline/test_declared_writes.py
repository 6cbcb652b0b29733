"""Declared writes: pipeline.yml names each notebook's results files with their sensitivity,
and a job whose results differ from its declaration fails with a message saying how."""

from __future__ import annotations

import shutil

import pytest
import yaml

from helpers.data.problems import UsageError
from helpers.pipeline.execute import undeclared_results
from helpers.pipeline.plan import Job, read_pipeline, results_files

from support import ROOT


def _pipeline(tmp_path, edit):
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    path = tmp_path / "notebooks" / "pipeline.yml"
    spec = yaml.safe_load(path.read_text())
    edit(spec["notebooks"])
    path.write_text(yaml.safe_dump(spec))
    return tmp_path / "notebooks"


def test_the_shipped_pipeline_declares_every_results_file_of_the_contract_once():
    files = results_files(read_pipeline(ROOT / "notebooks"))
    assert {"outcomes", "gp_contacts", "coding_matrix", "embeddedness", "cmoc_verdicts",
            "network_metrics"} <= set(files)
    assert files["network_metrics"] == "per_person"  # one row per participant
    assert files["outcomes"] == "aggregate"


def test_an_unknown_sensitivity_is_a_usage_error(tmp_path):
    notebooks = _pipeline(tmp_path, lambda e: e[1]["writes"].update(outcomes="secret"))
    with pytest.raises(UsageError, match=r"site.md writes outcomes as 'secret'.*aggregate, per_person"):
        read_pipeline(notebooks)


def test_a_file_declared_with_two_sensitivities_is_a_usage_error(tmp_path):
    notebooks = _pipeline(tmp_path, lambda e: e[2]["writes"].update(outcomes="per_person"))
    with pytest.raises(UsageError, match="outcomes is declared both aggregate and per_person"):
        read_pipeline(notebooks)


def test_an_entry_without_writes_is_a_usage_error(tmp_path):
    notebooks = _pipeline(tmp_path, lambda e: e[0].pop("writes"))
    with pytest.raises(UsageError, match=r"overview.md has no `writes:` mapping"):
        read_pipeline(notebooks)


def _job(writes):
    return Job(name="site-S1", template="site.md", output="sites/S1.ipynb", parameters={}, writes=writes)


def test_results_that_match_the_declaration_pass(tmp_path):
    for name in ("outcomes", "gp_contacts"):
        (tmp_path / f"{name}.csv").write_text("a\n1\n")
    assert undeclared_results(tmp_path, _job(("gp_contacts", "outcomes"))) is None


def test_a_misspelt_results_file_fails_naming_both_sides(tmp_path):
    (tmp_path / "outcome.csv").write_text("a\n1\n")  # misspelt: the declared name is outcomes
    error = undeclared_results(tmp_path, _job(("outcomes",)))
    assert error["ename"] == "UndeclaredResults"
    assert "wrote outcome.csv, not declared" in error["evalue"]
    assert "did not write outcomes.csv" in error["evalue"]
    assert "notebooks/pipeline.yml declares for site.md: outcomes" in error["evalue"]
