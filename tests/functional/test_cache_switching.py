"""Switching datasets: the execution store keeps every dataset's notebooks, so returning to one runs nothing."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time

from helpers.synth import write_dataset
from support.pipeline import executed_jobs, linkbook, make_project, manifest, results_bytes


def _generated(project) -> dict[str, bytes]:
    return {str(p.relative_to(project)): p.read_bytes() for p in sorted((project / "book" / "generated").rglob("*.ipynb"))}


def _use(project, dataset) -> None:
    target = project / "data" / "synthetic"
    shutil.rmtree(target)
    shutil.copytree(dataset, target, ignore=shutil.ignore_patterns("truth.json"))


def test_a_then_b_then_a_again_executes_nothing_the_third_time_and_prune_drops_only_the_stale(tmp_path):
    first = write_dataset(tmp_path / "first", n_sites=3, seed=31)
    second = write_dataset(tmp_path / "second", n_sites=2, seed=32)
    (tmp_path / "project").mkdir()
    project = make_project(tmp_path / "project", first)

    assert linkbook(project, "run").returncode == 0
    results_first, notebooks_first, jobs_first = results_bytes(project), _generated(project), manifest(project)["jobs"]

    _use(project, second)  # the same path, other data: the keys differ
    completed = linkbook(project, "run")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert executed_jobs(project) == {job["name"] for job in manifest(project)["jobs"]}
    assert results_bytes(project) != results_first
    keys_second = {job["key"] for job in manifest(project)["jobs"]}

    _use(project, first)
    completed = linkbook(project, "run")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "0 to run" in completed.stdout
    assert executed_jobs(project) == set()
    assert results_bytes(project) == results_first  # republished from the store, not left as the second's
    assert {k: v for k, v in _generated(project).items() if k in notebooks_first} == notebooks_first
    assert [j["key"] for j in manifest(project)["jobs"]] == [j["key"] for j in jobs_first]

    store = project / ".linkbook-cache" / "store"
    month_ago = time.time() - 45 * 86400
    for key in keys_second - {j["key"] for j in jobs_first}:
        os.utime(store / key[:2] / key / "record.json", (month_ago, month_ago))
    completed = linkbook(project, "cache", "prune")
    assert completed.returncode == 0, completed.stderr
    assert f"Removed {len(keys_second)} stored" in completed.stdout
    left = {p.parent.name for p in store.glob("*/*/record.json")}
    assert left == {j["key"] for j in jobs_first}
    completed = linkbook(project, "run")
    assert "0 to run" in completed.stdout


def test_cache_prune_rejects_a_size_that_is_not_a_number(tmp_path):
    (tmp_path / "project").mkdir()
    project = make_project(tmp_path / "project")
    completed = linkbook(project, "cache", "prune", "--max-size", "lots")
    assert completed.returncode == 2 and "Traceback" not in completed.stderr and "--max-size" in completed.stderr


def test_a_run_killed_midway_keeps_the_notebooks_it_finished(tmp_path):
    data = write_dataset(tmp_path / "data", n_sites=3, seed=33)
    (tmp_path / "project").mkdir()
    project = make_project(tmp_path / "project", data)
    process = subprocess.Popen([sys.executable, "-m", "helpers", "run", "--jobs", "1"], cwd=project, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    finished = 0
    try:
        for line in process.stdout:
            finished += bool(re.search(r"\] ok ", line))
            if finished == 2:
                break
        os.killpg(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
        process.stdout.close()
    assert finished == 2
    completed = linkbook(project, "run")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    stored = int(re.search(r"(\d+) stored", completed.stdout).group(1))
    assert stored >= 2 and len(executed_jobs(project)) == len(manifest(project)["jobs"]) - stored
