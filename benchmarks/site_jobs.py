"""The cost of one site job as the dataset grows: K site notebooks of an N-site dataset.

A full run of 1,250 sites takes hours on two shared cores, most of it in the dataset-wide
syntheses; this measures what the per-site target is about. For each dataset it validates
the data, writes the slices of the first K sites as `linkbook run` does, and executes
those K site notebooks one after another on one warm kernel, in a child process whose
CPU seconds (its kernel's included) `measure.py` counts. The parent's own per-run work
(validation, planning, slices) is reported beside it.

Usage: nice -n 19 .venv/bin/python benchmarks/site_jobs.py DATA_DIR [DATA_DIR ...] [--sites 20]
(from a project checkout; each DATA_DIR a dataset following the data contract)
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from measure import become_subreaper, measure
from run_benchmarks import ROOT, copy_project, machine


def child(project: Path, k: int) -> None:
    """In the measured process: plan, slice and execute the first `k` site jobs."""
    from helpers.core.project import Project
    from helpers.data.dataset import load_dataset, write_site_slices
    from helpers.pipeline.execute import execute_job
    from helpers.pipeline.plan import plan_jobs, read_pipeline
    from helpers.report.disclosure import load_policy
    from helpers.report.provenance import run_context

    started = time.process_time()
    project_ = Project(project)
    dataset = load_dataset(project / "data" / "synthetic")
    policy = load_policy(project / "_config.yml", dataset.metadata.synthetic)
    entries = read_pipeline(project_.notebooks)
    jobs = [j for j in plan_jobs(entries, dataset, "data/synthetic", "results", dataset.site_ids[:k],
                                 common={"disclosure": policy.parameters()}) if j.site_id is not None]
    stage = project_.cache / "staging" / "bench"
    files = write_site_slices(dataset, stage / "slices", [j.site_id for j in jobs])
    context = run_context(project, dataset)
    parent_s = time.process_time() - started
    durations = []
    for job in jobs:
        result = execute_job(replace(job, data_slice=str(files[job.site_id])), str(project), str(stage), context)
        if result.status != "ok":
            raise SystemExit(f"{job.name} failed: {result.error}")
        durations.append(result.duration)
    print(json.dumps({"jobs": len(jobs), "parent_s": round(parent_s, 2), "wall_per_job": durations}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, nargs="*")
    parser.add_argument("--sites", type=int, default=20, help="site jobs per dataset (the first K sites)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.sites)
        return
    become_subreaper()
    results = {}
    with tempfile.TemporaryDirectory(prefix="linkbook-site-jobs-") as tmp:
        for data in args.data:
            project = copy_project(Path(tmp) / data.name, data.resolve())
            n = sum(1 for _ in open(data / "sites.csv", encoding="utf-8")) - 1
            measured = measure([sys.executable, str(ROOT / "benchmarks" / "site_jobs.py"), "--child", str(project),
                                "--sites", str(args.sites)], project, memory=True)
            inner = json.loads(measured["output"].strip().splitlines()[-1])
            results[str(n)] = {"cpu_s": measured["cpu_s"], "wall_s": measured["wall_s"], **inner,
                               "peak_rss": measured["peak_rss"], "measured": machine()}
            print(n, results[str(n)], flush=True)
            shutil.rmtree(project, ignore_errors=True)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
