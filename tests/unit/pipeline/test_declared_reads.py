"""Declared reads: a notebook sees only the tables its pipeline.yml entry lists,
and its jobs' cache keys hash only those tables."""

from __future__ import annotations

import shutil

import pytest
import yaml

from helpers.data.dataset import load_dataset
from helpers.pipeline.plan import plan_jobs, read_pipeline
from helpers.data.problems import UsageError

from support import EMBEDDED, ROOT


@pytest.fixture(scope="module")
def dataset():
    return load_dataset(EMBEDDED)


def test_a_declared_table_reads_as_before(dataset):
    limited = dataset.only(["sites", "questionnaires"])
    assert limited.questionnaires.equals(dataset.questionnaires)
    assert limited.site_ids == dataset.site_ids
    assert dataset.only(None) is dataset


@pytest.mark.parametrize("read", [lambda d: d.connections, lambda d: d.tables["connections"]])
def test_reading_an_undeclared_table_fails_naming_the_declaration(dataset, read):
    limited = dataset.only(["sites", "questionnaires"])
    with pytest.raises((AttributeError, KeyError)) as err:
        read(limited)
    assert "'connections'" in str(err.value) and "notebooks/pipeline.yml" in str(err.value)


def test_a_site_of_a_limited_dataset_keeps_the_limit_and_its_own_rows(dataset):
    site = dataset.only(["sites", "participants", "questionnaires"]).for_site("S2")
    assert set(site.tables) == {"sites", "participants", "questionnaires"}
    assert site.questionnaires.equals(dataset.for_site("S2").questionnaires)
    with pytest.raises(KeyError, match="'segments'"):
        site.tables["segments"]


def test_an_unknown_table_name_is_refused(dataset):
    with pytest.raises(KeyError, match="questionaires"):
        dataset.only(["sites", "questionaires"])


def test_pipeline_yml_with_an_unknown_table_is_a_usage_error(tmp_path):
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    path = tmp_path / "notebooks" / "pipeline.yml"
    spec = yaml.safe_load(path.read_text())
    spec["notebooks"][-1]["reads"] = ["sites", "ties"]
    path.write_text(yaml.safe_dump(spec))
    with pytest.raises(UsageError, match=r"pipeline.yml: synthesis_network.md reads ties"):
        read_pipeline(tmp_path / "notebooks")


def _key_inputs(dataset, reads):
    entries = [{"template": "t.ipynb", "scope": "dataset", "output": "t.ipynb", "reads": reads}]
    return plan_jobs(entries, dataset, "data", "results")[0].inputs["dataset"]


def test_a_job_hashes_only_the_tables_it_reads(dataset):
    changed_questionnaires = dict(dataset.tables)
    q = dataset.questionnaires.copy()
    q.loc[0, "ons_happy"] = (q.loc[0, "ons_happy"] + 1) % 11
    changed_questionnaires["questionnaires"] = q
    edited = type(dataset)(dataset.path, dataset.metadata, changed_questionnaires)
    network_reads = ["sites", "participants", "organisations", "connections"]
    assert _key_inputs(edited, network_reads) == _key_inputs(dataset, network_reads)
    assert _key_inputs(edited, ["sites", "questionnaires"]) != _key_inputs(dataset, ["sites", "questionnaires"])
    assert _key_inputs(edited, None) != _key_inputs(dataset, None)  # no declaration: every table counts


def test_a_site_job_carries_only_its_own_withheld_cells(dataset):
    """The run's policy holds every withheld cell; a site job's parameters only its own site's,
    so that its notebook and key do not grow (or change) with the other sites'."""
    from dataclasses import replace as replaced

    from helpers.report.disclosure import Policy

    policy = replaced(Policy(), withheld=(("patients", "S1"), ("patients", "S2"), ("gp", "S2"), ("gp_month:3", "S5")))
    entries = [{"template": "site.md", "scope": "site", "output": "sites/{site_id}.ipynb"},
               {"template": "t.md", "scope": "dataset", "output": "t.ipynb"}]
    jobs = plan_jobs(entries, dataset, "data", "results", common={"disclosure": policy.parameters()},
                     of_site=lambda site_id: {"disclosure": policy.of_site_job(site_id).parameters()})
    by_name = {job.name: job.parameters["disclosure"] for job in jobs}
    assert by_name["site-S2"]["withheld"] == [["gp", "S2"], ["patients", "S2"]]
    assert by_name["site-S2"]["site_id"] == "S2"
    assert by_name["site-S3"]["withheld"] == []
    assert len(by_name["t"]["withheld"]) == 4 and by_name["t"]["site_id"] is None  # dataset-wide pages: all
    page = Policy(**by_name["site-S2"])
    assert all(page.hides(line) == policy.at("S2").hides(line) for line, _ in policy.withheld)
