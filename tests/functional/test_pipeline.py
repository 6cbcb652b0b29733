"""The execution pipeline end to end: cache, failures, Dask, and a run killed with SIGKILL.

These tests run the real notebook templates on small synthetic datasets in a
throw-away copy of the project.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import jupytext
import nbformat
import pandas as pd
import pytest
import yaml

from helpers.pipeline.templates import read_template
from helpers.synth import write_dataset
from helpers.core.processes import descendants
from support.pipeline import executed_jobs, gone_within, linkbook, make_project, manifest, results_bytes

from support import ROOT


def dataset_jobs(reading: str | None = None) -> set[str]:
    """Names of the dataset-wide jobs (only those whose notebook reads table `reading`, if given)."""
    spec = yaml.safe_load((ROOT / "notebooks" / "pipeline.yml").read_text())
    return {entry["template"].removesuffix(".md") for entry in spec["notebooks"] if entry["scope"] == "dataset"
            and (reading is None or "reads" not in entry or reading in entry["reads"])}


@pytest.fixture(scope="module")
def small_dataset(tmp_path_factory):
    return write_dataset(tmp_path_factory.mktemp("data3"), n_sites=3, seed=11)


@pytest.fixture(scope="module")
def ran_once(tmp_path_factory, small_dataset):
    """A project on the 3-site dataset after one complete run."""
    project = make_project(tmp_path_factory.mktemp("project"), small_dataset)
    completed = linkbook(project, "run", "--jobs", "2")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return project


def test_first_run_executes_every_job_and_writes_the_results(ran_once):
    jobs = manifest(ran_once)["jobs"]
    assert {j["name"] for j in jobs} == {"site-S1", "site-S2", "site-S3"} | dataset_jobs()
    assert all(j["status"] == "ok" and not j["reused"] for j in jobs)
    outcomes = pd.read_csv(ran_once / "results" / "outcomes.csv")
    assert set(outcomes["site_id"]) >= {"S1", "S2", "S3"}
    for job in jobs:
        assert (ran_once / job["output"]).is_file()


def test_second_run_executes_nothing_and_rewrites_nothing(ran_once):
    manifest_path = ran_once / "results" / "manifest.json"
    before, manifest_before = results_bytes(ran_once), manifest_path.read_bytes()
    completed = linkbook(ran_once, "run")
    assert completed.returncode == 0
    assert "0 to run" in completed.stdout and "results/ is up to date" in completed.stdout
    assert results_bytes(ran_once) == before
    assert manifest_path.read_bytes() == manifest_before


def test_changing_one_questionnaire_row_reruns_that_site_and_the_syntheses_reading_questionnaires(ran_once):
    path = ran_once / "data" / "synthetic" / "questionnaires.csv"
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    row = table.index[table["participant_id"].str.startswith("S2-")][0]
    table.loc[row, "ons_happy"] = str((int(table.loc[row, "ons_happy"] or 5) + 1) % 11)
    table.to_csv(path, index=False, lineterminator="\n")
    completed = linkbook(ran_once, "run")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert executed_jobs(ran_once) == {"site-S2"} | dataset_jobs(reading="questionnaires")
    assert "synthesis_outcomes" in executed_jobs(ran_once)
    assert "synthesis_network" not in executed_jobs(ran_once)  # it declares no questionnaires


def test_changing_one_tie_reruns_that_site_and_the_syntheses_reading_connections(ran_once):
    path = ran_once / "data" / "synthetic" / "connections.csv"
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    row = table.index[table["site_id"] == "S3"][0]
    table.loc[row, "weight"] = "1" if table.loc[row, "weight"] != "1" else "2"
    table.to_csv(path, index=False, lineterminator="\n")
    completed = linkbook(ran_once, "run")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert executed_jobs(ran_once) == {"site-S3"} | dataset_jobs(reading="connections")
    assert "synthesis_network" in executed_jobs(ran_once)


def test_results_set_aside_by_a_swap_killed_between_its_renames_are_put_back(ran_once):
    before = results_bytes(ran_once)
    (ran_once / "results").rename(ran_once / ".results.old-killed")  # as a kill between the renames leaves it
    completed = linkbook(ran_once, "run")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "0 to run" in completed.stdout and "up to date" in completed.stdout
    assert results_bytes(ran_once) == before
    assert not list(ran_once.glob(".results.old-*"))


def test_a_broken_template_reports_the_failing_cell_and_the_other_sites_finish(tmp_path, small_dataset):
    project = make_project(tmp_path, small_dataset)
    template = project / "notebooks" / "site.md"
    notebook = read_template(template)
    notebook.cells.insert(4, nbformat.v4.new_code_cell('if site_id == "S2":\n    raise ValueError("planted failure")'))
    jupytext.write(notebook, template, fmt="md:myst")

    completed = linkbook(project, "run", "--jobs", "2")
    assert completed.returncode == 1
    out = completed.stdout
    assert "site-S2" in out and "ValueError: planted failure" in out and "failed in cell" in out
    assert "Traceback" in (project / ".linkbook-cache" / "failures" / "site-S2.txt").read_text()
    assert (project / "book" / "generated" / "sites" / "S1.ipynb").is_file()
    assert (project / "book" / "generated" / "sites" / "S3.ipynb").is_file()
    assert not (project / "book" / "generated" / "sites" / "S2.ipynb").exists()
    assert not (project / "results").exists()  # nothing published from a failed run

    kept_going = linkbook(project, "build", "--keep-going")
    assert kept_going.returncode == 1, kept_going.stdout[-3000:]
    html = project / "_build" / "html" / "book" / "generated"
    assert "analysis failed" in (html / "notices" / "site-S2.html").read_text()
    assert (html / "sites" / "S1.html").is_file() and (html / "sites" / "S3.html").is_file()


def test_dask_cluster_gives_byte_identical_results_to_the_local_pool(tmp_path, small_dataset):
    distributed = pytest.importorskip("distributed")
    (tmp_path / "local").mkdir()
    (tmp_path / "dask").mkdir()
    local = make_project(tmp_path / "local", small_dataset)
    remote = make_project(tmp_path / "dask", small_dataset)
    assert linkbook(local, "run", "--jobs", "2").returncode == 0
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        completed = linkbook(remote, "run", "--scheduler", cluster.scheduler_address)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert results_bytes(local) == results_bytes(remote)
    assert len(results_bytes(local)) >= 2


def test_a_run_killed_with_sigkill_leaves_results_usable_and_the_next_run_completes(tmp_path, small_dataset):
    project = make_project(tmp_path, small_dataset)
    assert linkbook(project, "run").returncode == 0
    published = results_bytes(project)

    process = subprocess.Popen([sys.executable, "-m", "helpers", "run", "--force"], cwd=project,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    staging, store = project / ".linkbook-cache" / "staging", project / ".linkbook-cache" / "store"
    begun = time.time()
    deadline = begun + 60

    def one_finished() -> bool:  # staged, or already moved into the store as it finished
        return any(staging.glob("*/*/notebook.ipynb")) or any(
            p.stat().st_mtime > begun for p in store.glob("*/*/record.json"))
    while time.time() < deadline and not one_finished():
        time.sleep(0.05)
    started = descendants(process.pid)  # pool workers and their kernels
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    try:
        assert started and gone_within(started, 15)  # orphaned workers exit, and their kernels follow
        assert results_bytes(project) == published
        json.loads((project / "results" / "manifest.json").read_text())
        for record in (project / ".linkbook-cache" / "jobs").glob("*.json"):
            json.loads(record.read_text())
        for record in (project / ".linkbook-cache" / "store").glob("*/*/record.json"):  # whole entries only
            assert (record.parent / "notebook.ipynb").is_file() and json.loads(record.read_text())["status"] == "ok"

        completed = linkbook(project, "run")
        assert completed.returncode == 0, completed.stdout + completed.stderr
        assert results_bytes(project) == published  # same inputs, same bytes
    finally:
        if _alive_group(process.pid):  # pool workers orphaned by the kill
            os.killpg(process.pid, signal.SIGKILL)


def test_ctrl_c_drops_the_queued_notebooks_publishes_nothing_and_stops_every_worker(tmp_path, small_dataset):
    project = make_project(tmp_path, small_dataset)
    process = subprocess.Popen([sys.executable, "-m", "helpers", "run", "--jobs", "1"], cwd=project, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    staging = project / ".linkbook-cache" / "staging"
    deadline = time.time() + 120
    while time.time() < deadline and not any(staging.glob("*/*/notebook.ipynb")):
        time.sleep(0.1)
    started = descendants(process.pid)
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=120)
    assert process.returncode == 130 and "interrupted" in out and "Traceback" not in out
    executed = list(staging.glob("*/*/notebook.ipynb"))  # staged, never promoted
    # Seven notebooks queued for one worker, interrupted during the first: those done,
    # running, or already handed to the worker (up to two, by concurrent.futures' design)
    # finish; the rest are dropped. Without the cancelling, all seven ran.
    assert 1 <= len(executed) < 7, out
    assert not (project / "results").exists()
    assert started and gone_within(started, 15)


def _alive_group(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_invalid_data_stops_before_running_anything(tmp_path, small_dataset):
    project = make_project(tmp_path, small_dataset)
    path = project / "data" / "synthetic" / "sites.csv"
    sites = pd.read_csv(path, dtype=str, keep_default_na=False)
    sites.loc[0, "rurality"] = "metropolis"
    sites.to_csv(path, index=False, lineterminator="\n")
    completed = linkbook(project, "run")
    assert completed.returncode == 2
    assert "sites.csv" in completed.stdout and "Traceback" not in completed.stdout + completed.stderr
    assert not (project / "book" / "generated").exists()


def test_warm_and_fresh_kernels_give_byte_identical_results(tmp_path, small_dataset):
    (tmp_path / "warm").mkdir()
    (tmp_path / "fresh").mkdir()
    warm = make_project(tmp_path / "warm", small_dataset)
    fresh = make_project(tmp_path / "fresh", small_dataset)
    assert linkbook(warm, "run", "--jobs", "1").returncode == 0  # one worker: every notebook reuses its kernel
    assert linkbook(fresh, "run", "--fresh-kernels").returncode == 0
    assert results_bytes(warm) == results_bytes(fresh)
