"""`linkbook run --scheduler` on a real Dask cluster: a `dask scheduler` and two `dask worker`
processes on the loopback interface, each in its own working directory, as on a cluster
whose nodes share the project's file system.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers.synth import write_dataset
from helpers.core.processes import descendants
from support.pipeline import linkbook, make_project, results_bytes

pytest.importorskip("distributed")
DASK = Path(sys.executable).parent / "dask"


def _start(command: list[str], cwd: Path) -> subprocess.Popen:
    cwd.mkdir(parents=True, exist_ok=True)
    with open(cwd / "log.txt", "w") as log:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(command, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _stop(process: subprocess.Popen) -> None:
    """SIGKILL a process, its process group and every descendant (a worker's kernel included)."""
    pids = descendants(process.pid) | {process.pid}
    for kill in (lambda: os.killpg(process.pid, signal.SIGKILL), *(lambda p=p: os.kill(p, signal.SIGKILL) for p in pids)):
        try:
            kill()
        except ProcessLookupError:
            pass
    process.wait(timeout=30)


class Cluster:
    """A scheduler on a random free port (port 0, address read from its scheduler file) and two workers."""

    def __init__(self, folder: Path):
        self.folder, self.workers = folder, {}
        scheduler_file = folder / "scheduler" / "scheduler.json"
        self.scheduler = _start([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0",
                                 "--no-dashboard", "--scheduler-file", str(scheduler_file)], folder / "scheduler")
        deadline = time.time() + 60
        while not scheduler_file.is_file() and time.time() < deadline:
            time.sleep(0.2)
        self.address = json.loads(scheduler_file.read_text())["address"]
        assert self.address.startswith("tcp://127.0.0.1:")
        for name in ("w1", "w2"):
            self.workers[name] = _start([str(DASK), "worker", self.address, "--name", name, "--host", "127.0.0.1",
                                         "--nthreads", "1", "--no-dashboard", "--no-nanny",
                                         "--local-directory", str(folder / name / "dask")], folder / name)
        from distributed import Client

        with Client(self.address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)

    def close(self) -> None:
        for process in (*self.workers.values(), self.scheduler):
            if process.poll() is None or descendants(process.pid):
                _stop(process)


@pytest.fixture(scope="module")
def small_dataset(tmp_path_factory):
    return write_dataset(tmp_path_factory.mktemp("data4"), n_sites=4, seed=23)


@pytest.fixture(scope="module")
def local_results(tmp_path_factory, small_dataset):
    project = make_project(tmp_path_factory.mktemp("local"), small_dataset)
    completed = linkbook(project, "run", "--jobs", "2")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return results_bytes(project)


@pytest.fixture
def cluster(tmp_path):
    started = Cluster(tmp_path / "cluster")
    try:
        yield started
    finally:
        started.close()
        assert all(p.poll() is not None for p in (*started.workers.values(), started.scheduler))


def test_a_real_cluster_gives_results_byte_identical_to_the_local_pool(tmp_path, small_dataset, local_results, cluster):
    project = make_project(tmp_path, small_dataset)
    completed = linkbook(project, "run", "--scheduler", cluster.address)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert results_bytes(project) == local_results and len(local_results) >= 5


def test_a_worker_killed_mid_run_has_its_job_retried_on_the_other(tmp_path, small_dataset, local_results, cluster):
    project = make_project(tmp_path, small_dataset)
    run = subprocess.Popen([sys.executable, "-m", "helpers", "run", "--scheduler", cluster.address], cwd=project,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    victim = cluster.workers["w1"]
    try:
        staging = project / ".linkbook-cache" / "staging"
        deadline = time.time() + 300
        # w1 is busy once its kernel log exists and a notebook of its job is being written
        while time.time() < deadline and not (
                any(staging.glob(f"*/kernel-{victim.pid}.log")) and any(staging.glob("*/*/notebook.ipynb"))):
            time.sleep(0.1)
        assert time.time() < deadline, "worker w1 never started a job"
        time.sleep(1.0)  # into the notebook's cells
        _stop(victim)
        output, _ = run.communicate(timeout=900)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
    assert run.returncode == 0, output
    assert results_bytes(project) == local_results
    manifest = json.loads((project / "results" / "manifest.json").read_text())
    assert all(job["status"] == "ok" for job in manifest["jobs"])
    assert victim.poll() is not None and cluster.workers["w2"].poll() is None
