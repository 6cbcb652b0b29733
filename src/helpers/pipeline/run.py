"""`linkbook run`: plan, skip what is unchanged, execute the rest, publish results atomically."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from helpers.data.dataset import load_dataset, write_site_slices
from helpers.report.disclosure import load_policy
from helpers.report.withheld import withheld_cells
from helpers.core.files import replace_dir, restore_interrupted
from helpers.pipeline.cache import ExecutionStore
from helpers.pipeline.execute import JobResult, WorkerPool, run_jobs
from helpers.core.hashing import sha256_bytes, sha256_file
from helpers.pipeline.fingerprint import job_key
from helpers.pipeline.options import BuildOptions
from helpers.pipeline.plan import Job, plan_jobs, read_pipeline, results_files
from helpers.data.problems import UsageError
from helpers.core.project import Project
from helpers.report.provenance import run_context

@dataclass
class RunReport:
    jobs: list[Job]
    executed: list[JobResult] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[JobResult]:
        return [r for r in self.executed if r.status != "ok"]


def environment_hash(project: Project) -> str:
    lock = project.lock_file.read_bytes() if project.lock_file.is_file() else b""
    return sha256_bytes(lock + sys.version.encode())


def run_pipeline(project: Project, options: BuildOptions, pool: WorkerPool | None = None, out=print) -> RunReport:
    """Execute the notebooks whose inputs changed; raise InvalidDataset on bad data.

    `pool` keeps the worker processes and their kernels for the next run (`linkbook watch`).
    """
    data_dir, results_dir, sites = options.data, options.results, options.sites
    restore_interrupted(project.root / results_dir)  # a run killed mid-swap left the old results aside
    dataset = load_dataset(project.root / data_dir)
    unknown = sorted(set(sites or ()) - set(dataset.site_ids))
    if unknown:
        raise UsageError(f"--site {', '.join(unknown)}: not in {data_dir}/sites.csv "
                         f"(sites: {', '.join(dataset.site_ids)})")
    policy = load_policy(project.root / "_config.yml", dataset.metadata.synthetic)
    entries = read_pipeline(project.notebooks)
    policy = replace(policy, withheld=withheld_cells(dataset, policy))  # the same cells on every page
    jobs = plan_jobs(entries, dataset, data_dir, results_dir, sites, common={"disclosure": policy.parameters()},
                     of_site=lambda site_id: {"disclosure": policy.of_site_job(site_id).parameters()})
    store = ExecutionStore(project.cache)
    env_hash = environment_hash(project)
    templates = {j.template: sha256_file(project.notebooks / j.template) for j in jobs}
    keys = {j.name: job_key(j, templates[j.template], env_hash) for j in jobs}

    report = RunReport(jobs)
    todo = []
    for job in jobs:
        if not options.force and store.lookup(keys[job.name]) is not None:
            report.reused.append(job.name)
        else:
            todo.append(job)
    out(f"{len(jobs)} notebook job(s): {len(report.reused)} stored, {len(todo)} to run")
    todo = longest_first(todo, store)

    run_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    staging_root = project.cache / "staging" / run_id
    _remove_stale_staging(project.cache / "staging")

    todo = _with_site_slices(todo, dataset, entries, staging_root / "slices")

    progress = _Progress(len(todo), out)

    def on_event(job: Job, state: str, result: JobResult | None) -> None:
        if state == "ok":  # stored at once: a run killed after hours keeps every finished notebook
            store.put(keys[job.name], Path(result.stage), _job_record(job, result))
        progress(job, state, result)

    context = run_context(project.root, dataset)
    results = run_jobs(todo, project.root, staging_root, options.jobs or os.cpu_count() or 1, options.scheduler,
                       on_event, context, options.fresh_kernels, pool)
    report.executed = results
    by_name = {j.name: j for j in jobs}
    for result in results:
        if result.status != "ok":
            _report_failure(project, by_name[result.name], result, out)
    shutil.rmtree(staging_root, ignore_errors=True)
    failed = {r.name for r in report.failed}
    for job in jobs:  # the book's copy of every stored notebook of this dataset
        if job.name not in failed:
            store.touch(keys[job.name])
            store.copy_notebook(keys[job.name], project.generated / job.output)
    store.prune(keep=frozenset(keys.values()))  # the default bound: age, then size

    if report.failed and not options.keep_going:
        out(f"{len(report.failed)} notebook(s) failed; results/ was left as it was.")
        return report
    if not results and _published(project.root / results_dir, jobs, keys, data_dir):
        out(f"Nothing changed: {results_dir}/ is up to date.")
        return report
    _publish_results(project, jobs, keys, report, store, dataset, data_dir, results_dir, context, results_files(entries))
    out(f"Results written to {results_dir}/ ({len(results)} executed, {len(report.reused)} reused)")
    return report


def longest_first(todo: list[Job], store: ExecutionStore) -> list[Job]:
    """Queue the longest jobs first, so that no long job starts last while other workers idle.

    A job's length is its last recorded duration; a dataset-wide job with no record
    counts as longer than any site job (it reads every site).
    """
    def expected(job: Job) -> tuple[int, float]:
        record = store.last_record(job.name)
        return (0 if job.site_id is None and "duration_s" not in record else 1, -record.get("duration_s", 0.0))

    return sorted(todo, key=expected)


def _with_site_slices(todo: list[Job], dataset, entries: list[dict], folder: Path) -> list[Job]:
    """The jobs, each site job given the file of its own rows (of the tables its template reads),
    written once for this run: a site notebook then reads a few hundred kilobytes, not the
    whole dataset, so its cost stays the same however many sites there are."""
    reads = {entry["template"]: entry.get("reads") for entry in entries}
    files = {}
    for template in sorted({j.template for j in todo if j.site_id is not None}):
        sites = [j.site_id for j in todo if j.template == template and j.site_id is not None]
        written = write_site_slices(dataset.only(reads[template]), folder / Path(template).stem, sites)
        files.update({(template, s): str(f) for s, f in written.items()})
    return [replace(j, data_slice=files[(j.template, j.site_id)]) if j.site_id is not None else j for j in todo]


def _published(results: Path, jobs: list[Job], keys: dict[str, str], data_dir: str) -> bool:
    """Whether results/ already holds the outputs of exactly these jobs (by key) on this dataset."""
    try:
        manifest = json.loads((results / "manifest.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return False
    return (manifest["dataset"]["path"] == data_dir
            and [(j["name"], j.get("key")) for j in manifest["jobs"]] == [(j.name, keys[j.name]) for j in jobs]
            and all(j["status"] == "ok" for j in manifest["jobs"]))


class _Progress:
    """One line per job state change: the display works in a terminal and in CI logs."""

    def __init__(self, total: int, out):
        self.total, self.done, self.out = total, 0, out

    def __call__(self, job: Job, state: str, result: JobResult | None):
        if state == "queued":
            self.out(f"  queued   {job.name}")
            return
        self.done += 1
        mark = "ok    " if state == "ok" else "FAILED"
        self.out(f"  [{self.done}/{self.total}] {mark} {job.name} ({result.duration:.1f} s)")


def _remove_stale_staging(staging: Path) -> None:
    if staging.is_dir():
        for old in staging.iterdir():
            shutil.rmtree(old, ignore_errors=True)


def _job_record(job: Job, result: JobResult) -> dict:
    return {
        "name": job.name, "template": f"notebooks/{job.template}", "parameters": job.parameters,
        "inputs": job.inputs, "output": f"book/generated/{job.output}", "status": result.status,
        "duration_s": result.duration, "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(result.started)),
        "error": result.error,
    }


def _report_failure(project: Project, job: Job, result: JobResult, out) -> None:
    error = result.error or {}
    folder = project.cache / "failures"
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / f"{job.name}.txt"
    text = (f"Notebook job {job.name} (notebooks/{job.template}) failed in cell {error.get('cell')}\n"
            f"{error.get('ename')}: {error.get('evalue')}\n\nCell source:\n{error.get('source')}\n\n"
            f"Traceback:\n{error.get('traceback')}\n")
    log.write_text(text, encoding="utf-8")
    failed_nb = Path(result.stage) / "notebook.ipynb"
    if failed_nb.is_file():
        shutil.copy(failed_nb, folder / f"{job.name}.ipynb")
    out("\n" + text + f"Saved to {log.relative_to(project.root)} (executed notebook beside it)\n")


def _publish_results(project, jobs, keys, report, store, dataset, data_dir, results_dir, context, declared) -> None:
    """Combine every job's result parts into results/ and swap it into place atomically.

    `declared` (results file -> sensitivity, from pipeline.yml) names the files, and the
    manifest records each file's sensitivity for the release checklist.
    """
    target = project.root / results_dir
    new = target.with_name(f".{target.name}.new-{uuid.uuid4().hex[:6]}")
    new.mkdir(parents=True)
    failed = {r.name for r in report.failed}
    for name in declared:
        file = f"{name}.csv"
        parts = [store.results_part(keys[j.name], file) for j in jobs if j.name not in failed]
        frames = [pd.read_csv(p, dtype=str, keep_default_na=False) for p in parts if p.is_file()]
        if frames:
            pd.concat(frames, ignore_index=True).to_csv(new / file, index=False, lineterminator="\n")
    executed = {r.name: r for r in report.executed}
    manifest = {
        "dataset": {"name": dataset.metadata.name, "path": data_dir, "synthetic": dataset.metadata.synthetic},
        "git": context["git"],
        "environment": context["environment"],
        "results": {f"{name}.csv": level for name, level in declared.items()},
        "jobs": [],
    }
    for job in jobs:
        record = store.lookup(keys[job.name]) if job.name not in failed else None
        if record is None:
            record = {**_job_record(job, executed[job.name]), "key": keys[job.name]}
        record = {k: v for k, v in record.items() if k != "bytes"}
        record["reused"] = job.name in report.reused
        manifest["jobs"].append(record)
    (new / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    replace_dir(new, target)

