"""Execute notebook jobs with papermill, on a local process pool or a Dask cluster.

A worker writes only into its job's staging directory; the caller moves the
outputs into place once the job has succeeded.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from contextlib import contextmanager, nullcontext
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
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


def execute_job(job: Job, root: str, staging_root: str, context: dict, fresh_kernel: bool = False,
                session: str | None = None) -> JobResult:
    """Run one notebook into its staging directory; never raises for notebook errors.

    A warm kernel serves the jobs of one `session` (default: this run).
    """
    from helpers.pipeline import kernels

    session = session or str(staging_root)

    stage = stage_dir(Path(staging_root), job)
    shutil.rmtree(stage, ignore_errors=True)
    (stage / "results").mkdir(parents=True)
    parameters = {**job.parameters, "results_dir": str(stage / "results"),
                  **({"site_data": job.data_slice} if job.data_slice else {})}
    started = time.time()
    for attempt in (1, 2):
        error = _execute(job, root, staging_root, stage, parameters, fresh_kernel, session)
        if error is None or "Kernel died" not in str(error.get("evalue")) or attempt == 2:
            break
        kernels.forget(root, session)  # a kernel that died at start-up: once more on a new one
    duration = round(time.time() - started, 3)
    if error is None:
        error = undeclared_results(stage / "results", job)
    if error is None:
        finish_notebook(stage / "notebook.ipynb", job, context, started, duration, parameters)
    return JobResult(job.name, "failed" if error else "ok", duration, str(stage), error, started)


def _execute(job: Job, root: str, staging_root: str, stage: Path, parameters: dict, fresh_kernel: bool,
             session: str):
    """One papermill execution; returns None or the error (cell, ename, evalue, traceback)."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from helpers.pipeline import kernels
    from helpers.pipeline.templates import read_template

    try:
        with open(Path(staging_root) / f"kernel-{os.getpid()}.log", "ab") as log:
            engine = {} if fresh_kernel else {
                "engine_name": kernels.ENGINE, "warm": kernels.warm_kernel(root, session, log)}
            with _stderr_to(log):  # a fresh kernel's start-up chatter, kept out of the progress display
                papermill.execute_notebook(
                    read_template(Path(root) / "notebooks" / job.template), str(stage / "notebook.ipynb"),
                    parameters=parameters, cwd=root, kernel_name="python3",
                    progress_bar=False, log_output=False, request_save_on_cell_execute=False, **engine,
                )
    except PapermillExecutionError as err:
        return {"cell": err.cell_index, "source": err.source, "ename": err.ename,
                "evalue": err.evalue, "traceback": _plain(err.traceback)}
    except Exception as err:  # kernel died, template missing, ...: still a job result, not a crash
        return {"cell": None, "source": "", "ename": type(err).__name__, "evalue": str(err), "traceback": ""}
    return None


def undeclared_results(folder: Path, job: Job) -> dict | None:
    """The error of a job whose results files differ from those pipeline.yml declares for it."""
    written = {p.stem for p in folder.glob("*.csv")}
    extra, missing = sorted(written - set(job.writes)), sorted(set(job.writes) - written)
    if not extra and not missing:
        return None
    said = [f"wrote {', '.join(f'{n}.csv' for n in extra)}, not declared" if extra else "",
            f"did not write {', '.join(f'{n}.csv' for n in missing)}" if missing else ""]
    return {"cell": None, "source": "", "ename": "UndeclaredResults", "traceback": "",
            "evalue": f"{'; '.join(s for s in said if s)}. notebooks/pipeline.yml declares for {job.template}: "
                      f"{', '.join(job.writes) or 'no results files'} (writes:)."}


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


def finish_notebook(path: Path, job: Job, context: dict, started: float, duration: float, ran_with: dict) -> None:
    """Make the executed notebook ready to publish: fill {{name}} placeholders in markdown
    (e.g. a site's title) with the parameter's value escaped as literal text, hide papermill's
    injected parameter cell, and add a provenance box under the title.

    The notebook ran with parameters of this run only (`ran_with`): `results_dir` in its staging
    folder and a site's `site_data` slice, paths on this machine with a random run name. The
    published notebook shows the planned parameters instead (the planned results folder;
    `site_data = None`, which reads the same rows from the dataset when the notebook is run
    again), so no machine path is published and the same job gives the same notebook."""
    import nbformat

    from helpers.report.disclosure import Policy
    from helpers.report.escape import markdown_text
    from helpers.report.provenance import provenance_markdown

    notebook = nbformat.read(path, as_version=4)
    notebook.metadata.pop("jupytext", None)  # the template's text format, not the executed notebook's
    papermill = notebook.metadata.setdefault("papermill", {})
    papermill["input_path"] = f"notebooks/{job.template}"  # not the object read
    papermill.pop("output_path", None)  # the staging file
    run_only = {key: value for key, value in ran_with.items() if job.parameters.get(key) != value}
    if "parameters" in papermill:
        papermill["parameters"] = {**papermill["parameters"], **{k: job.parameters.get(k) for k in run_only}}
    for cell in notebook.cells:
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags:
            for key, value in run_only.items():
                planned = job.parameters.get(key)
                for quote in ('"', "'"):
                    shown = "None" if planned is None else f"{quote}{planned}{quote}"
                    cell.source = cell.source.replace(f"{quote}{value}{quote}", shown)
            if "remove-cell" not in tags:
                cell.metadata["tags"] = [*tags, "remove-cell"]
        if cell.cell_type == "markdown":
            for name, value in job.parameters.items():
                cell.source = cell.source.replace("{{" + name + "}}", markdown_text(value))
    depth = len(Path(job.output).parts) - 1
    box = provenance_markdown(context, job.parameters, job.inputs,
                              time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(started)), duration,
                              appendix="../" * depth + "provenance.md")
    notebook.cells.insert(1, nbformat.v4.new_markdown_cell(box, metadata={"tags": ["provenance"]}))
    if "disclosure" in job.parameters:
        rule = Policy(**job.parameters["disclosure"]).statement()
        note = f"::::{{dropdown}} Disclosure control: how small numbers are protected on this page\n:class-container: disclosure\n\n{rule}\n::::\n"
        notebook.cells.insert(2, nbformat.v4.new_markdown_cell(note,
                                                               metadata={"tags": ["disclosure"]}))
    nbformat.write(notebook, path)


def _plain(traceback_lines) -> str:
    """Traceback text without terminal colour codes."""
    import re

    text = "\n".join(traceback_lines or [])
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def _start_worker(owner: int) -> None:
    """Pool workers ignore Ctrl-C: the parent stops them in order, and their kernels with them.
    A worker exits as soon as `owner` (the pid that made the pool) or its own parent (the fork
    server) is gone, and its kernel, seeing it gone, exits too; a worker that starts after its
    owner died exits at once. (The fork server itself exits once the owner and every worker
    are gone.) Its kernels are forks of it (`kernels.fork_kernels`)."""
    from helpers.pipeline import kernels
    from helpers.pipeline.forked_kernel import name_process

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()
    if not _alive(owner):
        os._exit(0)
    name_process("linkbook-worker")
    kernels.fork_kernels()

    def exit_when_orphaned():
        while os.getppid() == parent and _alive(owner):
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=exit_when_orphaned, daemon=True).start()


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's: not ours, but not gone
        return True
    return True


def _executor(workers: int) -> ProcessPoolExecutor:
    """Workers forked from a server that has imported the analysis libraries once (`preload`)."""
    context = get_context("forkserver")
    context.set_forkserver_preload(["helpers.pipeline.preload"])
    return ProcessPoolExecutor(max_workers=workers, mp_context=context,
                               initializer=_start_worker, initargs=(os.getpid(),))


def _warm_up(root: str, session: str, code: str, log: str) -> None:
    from helpers.pipeline import kernels

    kernels.warm_up(root, session, code, log)


class WorkerPool:
    """Worker processes kept from one run to the next (`linkbook watch`), so that
    their kernels, with pandas, SciPy and the rest imported, stay warm between builds.

    Its kernels serve one session; the watcher starts a new pool (and session)
    whenever the helpers source or the locked environment changes.
    """

    def __init__(self, workers: int):
        self.workers = workers
        self.session = f"pool-{os.getpid()}-{time.time_ns()}"
        self._executor: ProcessPoolExecutor | None = None

    def executor(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = _executor(self.workers)
        return self._executor

    def warm(self, root: Path, code: str, log: Path) -> None:
        """Start every worker's kernel and run `code` (the templates' imports) in it, in the
        background: the first notebooks then skip the kernel start-up and imports."""
        executor = self.executor()
        for _ in range(self.workers):  # each takes seconds, so each idle worker takes one
            executor.submit(_warm_up, str(root), self.session, code, str(log))

    def discard(self) -> None:
        """Forget a broken pool (a worker died); the next run starts new workers."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    def close(self) -> None:
        """Stop the workers (queued jobs are dropped, running ones finish); each worker stops its kernel."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None


def run_jobs(jobs: list[Job], root: Path, staging_root: Path, workers: int,
             scheduler: str | None, on_event, context: dict, fresh_kernels: bool = False,
             pool: WorkerPool | None = None) -> list[JobResult]:
    """Run every job; `on_event(job, state, result)` reports progress. One failure stops nothing.

    Without `pool`, the worker processes (and their kernels) last for this run only.
    """
    if not jobs:
        return []
    if scheduler:
        return _run_on_dask(jobs, root, staging_root, scheduler, on_event, context, fresh_kernels)
    results = []
    by_future = {}
    session = pool.session if pool else None
    with nullcontext(pool.executor()) if pool else _executor(min(workers, len(jobs))) as executor:
        for job in jobs:
            future = executor.submit(execute_job, job, str(root), str(staging_root), context, fresh_kernels, session)
            by_future[future] = job
            on_event(job, "queued", None)
        try:
            for future in as_completed(by_future):
                job = by_future[future]
                try:
                    result = future.result()
                except BrokenProcessPool:  # a worker process was killed: the job failed, the pool is renewed
                    if pool:
                        pool.discard()
                    result = JobResult(job.name, "failed", 0.0, str(stage_dir(staging_root, job)),
                                       {"cell": None, "source": "", "ename": "BrokenProcessPool",
                                        "evalue": "the worker process running this notebook died", "traceback": ""})
                on_event(job, result.status, result)
                results.append(result)
        except KeyboardInterrupt:  # Ctrl-C: drop the queued notebooks; the running ones finish, unpublished
            # Wait here: a second shutdown() (as `with` makes on exit) before the executor has
            # acted on this one would turn the cancelling off again.
            executor.shutdown(wait=True, cancel_futures=True)
            raise
    return results


def _run_on_dask(jobs, root, staging_root, address, on_event, context, fresh_kernels) -> list[JobResult]:
    from distributed import Client, as_completed as dask_completed

    results = []
    with Client(address, timeout="30s") as client:
        futures = {}
        for job in jobs:
            futures[client.submit(execute_job, job, str(root), str(staging_root), context, fresh_kernels, key=f"linkbook-{job.name}-{time.time_ns()}")] = job
            on_event(job, "queued", None)
        for future in dask_completed(list(futures)):  # a job whose worker died is retried on another
            job = futures[future]
            try:
                result = future.result()
            except Exception as err:  # e.g. KilledWorker: the job's workers died too often
                result = JobResult(job.name, "failed", 0.0, str(stage_dir(staging_root, job)),
                                   {"cell": None, "source": "", "ename": type(err).__name__,
                                    "evalue": f"the Dask cluster could not run this notebook: {err}", "traceback": ""})
            on_event(job, result.status, result)
            results.append(result)
    return results
