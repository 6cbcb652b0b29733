"""Execute notebook jobs with papermill, on a local process pool or a Dask cluster.

A worker writes only into its job's staging directory; the caller moves the
outputs into place once the job has succeeded.
"""

from __future__ import annotations

import os
import shutil
import time
from contextlib import contextmanager
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from helpers.pipeline.plan import Job


@dataclass
class JobResult:
    name: str
    status: str  # "ok" or "failed"
    duration: float
    stage: str  # staging directory holding notebook.ipynb and results/
    error: dict | None = None  # cell, ename, evalue, traceback
    started: float = field(default=0.0)


def stage_dir(staging_root: Path, job: Job) -> Path:
    return Path(staging_root) / job.name


def execute_job(job: Job, root: str, staging_root: str, context: dict, fresh_kernel: bool = False) -> JobResult:
    """Run one notebook into its staging directory; never raises for notebook errors."""
    from helpers.pipeline import kernels

    stage = stage_dir(Path(staging_root), job)
    shutil.rmtree(stage, ignore_errors=True)
    (stage / "results").mkdir(parents=True)
    parameters = {**job.parameters, "results_dir": str(stage / "results")}
    started = time.time()
    for attempt in (1, 2):
        error = _execute(job, root, staging_root, stage, parameters, fresh_kernel)
        if error is None or "Kernel died" not in str(error.get("evalue")) or attempt == 2:
            break
        kernels.forget(root, str(staging_root))  # a kernel that died at start-up: once more on a new one
    duration = round(time.time() - started, 3)
    if error is None:
        finish_notebook(stage / "notebook.ipynb", job, context, started, duration)
    return JobResult(job.name, "failed" if error else "ok", duration, str(stage), error, started)


def _execute(job: Job, root: str, staging_root: str, stage: Path, parameters: dict, fresh_kernel: bool):
    """One papermill execution; returns None or the error (cell, ename, evalue, traceback)."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from helpers.pipeline import kernels

    try:
        with open(Path(staging_root) / f"kernel-{os.getpid()}.log", "ab") as log:
            engine = {} if fresh_kernel else {
                "engine_name": kernels.ENGINE, "warm": kernels.warm_kernel(root, str(staging_root), log)}
            with _stderr_to(log):  # a fresh kernel's start-up chatter, kept out of the progress display
                papermill.execute_notebook(
                    str(Path(root) / "notebooks" / job.template), str(stage / "notebook.ipynb"),
                    parameters=parameters, cwd=root, kernel_name="python3",
                    progress_bar=False, log_output=False, request_save_on_cell_execute=False, **engine,
                )
    except PapermillExecutionError as err:
        return {"cell": err.cell_index, "source": err.source, "ename": err.ename,
                "evalue": err.evalue, "traceback": _plain(err.traceback)}
    except Exception as err:  # kernel died, template missing, ...: still a job result, not a crash
        return {"cell": None, "source": "", "ename": type(err).__name__, "evalue": str(err), "traceback": ""}
    return None


@contextmanager
def _stderr_to(log):
    """Redirect file descriptor 2 (inherited by a kernel started meanwhile) to an open file."""
    saved = os.dup(2)
    os.dup2(log.fileno(), 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def finish_notebook(path: Path, job: Job, context: dict, started: float, duration: float) -> None:
    """Make the executed notebook ready to publish: fill {{name}} placeholders in markdown
    (e.g. a site's title), hide papermill's injected parameter cell, and add a provenance box
    under the title."""
    import nbformat

    from helpers.disclosure import Policy
    from helpers.provenance import provenance_markdown

    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            cell.metadata["tags"] = [*tags, "remove-cell"]
        if cell.cell_type == "markdown":
            for name, value in job.parameters.items():
                cell.source = cell.source.replace("{{" + name + "}}", str(value))
    depth = len(Path(job.output).parts) - 1
    box = provenance_markdown(context, job.parameters, job.inputs,
                              time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(started)), duration,
                              appendix="../" * depth + "provenance.md")
    notebook.cells.insert(1, nbformat.v4.new_markdown_cell(box, metadata={"tags": ["provenance"]}))
    if "disclosure" in job.parameters:
        rule = Policy(**job.parameters["disclosure"]).statement()
        notebook.cells.insert(2, nbformat.v4.new_markdown_cell(f":::{{note}}\n{rule}\n:::\n",
                                                               metadata={"tags": ["disclosure"]}))
    nbformat.write(notebook, path)


def _plain(traceback_lines) -> str:
    """Traceback text without terminal colour codes."""
    import re

    text = "\n".join(traceback_lines or [])
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def run_jobs(jobs: list[Job], root: Path, staging_root: Path, workers: int,
             scheduler: str | None, on_event, context: dict, fresh_kernels: bool = False) -> list[JobResult]:
    """Run every job; `on_event(job, state, result)` reports progress. One failure stops nothing."""
    if not jobs:
        return []
    if scheduler:
        return _run_on_dask(jobs, root, staging_root, scheduler, on_event, context, fresh_kernels)
    results = []
    by_future = {}
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=get_context("spawn")) as pool:
        for job in jobs:
            by_future[pool.submit(execute_job, job, str(root), str(staging_root), context, fresh_kernels)] = job
            on_event(job, "queued", None)
        for future in as_completed(by_future):
            job = by_future[future]
            result = future.result()
            on_event(job, result.status, result)
            results.append(result)
    return results


def _run_on_dask(jobs, root, staging_root, address, on_event, context, fresh_kernels) -> list[JobResult]:
    from distributed import Client, as_completed as dask_completed

    results = []
    with Client(address, timeout="30s") as client:
        futures = {}
        for job in jobs:
            futures[client.submit(execute_job, job, str(root), str(staging_root), context, fresh_kernels, key=f"linkbook-{job.name}-{time.time_ns()}")] = job
            on_event(job, "queued", None)
        for future in dask_completed(list(futures)):
            job = futures[future]
            result = future.result()
            on_event(job, result.status, result)
            results.append(result)
    return results
