"""The floor: every notebook job's code run in one in-process IPython shell, no kernels, no papermill.

What no pipeline can beat on one core: the analysis and its figures themselves, with the
imports paid once. Each job is one template read with jupytext, its parameter cell
followed by the job's parameters (as papermill injects them), its code cells run one
after another in the same `InteractiveShell` (namespace reset between jobs), figures
rendered to SVG by the inline backend as in a kernel. Results go to a scratch folder.

Usage (from a project checkout): python benchmarks/floor.py [--data data/synthetic] [--profile FILE]
       [--figures DIR]
Prints a JSON object: jobs, cpu_s (user+sys of this process), wall_s, and the figures' share:
figures (how many were shown) and figure_cells_cpu_s, the CPU of the cells that showed one (a
template shows each figure in a cell of its own, which builds, lays out and draws it).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path


def cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def plan(root: Path, data: str):
    from helpers.core.project import Project
    from helpers.data.dataset import load_dataset
    from helpers.pipeline.plan import plan_jobs, read_pipeline
    from helpers.report.disclosure import load_policy

    project = Project(root)
    dataset = load_dataset(root / data)
    policy = load_policy(root / "_config.yml", dataset.metadata.synthetic)
    return plan_jobs(read_pipeline(project.notebooks), dataset, data, "results", None,
                     common={"disclosure": asdict(policy)})


def job_cells(root: Path, job, results_dir: Path) -> list[str]:
    """The code cells of a job's template, its parameters assigned after the parameter cell."""
    from helpers.pipeline.templates import read_template

    notebook = read_template(root / "notebooks" / job.template)
    parameters = {**job.parameters, "results_dir": str(results_dir)}
    cells = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        cells.append(cell.source)
        if "parameters" in cell.metadata.get("tags", []):
            cells.append("\n".join(f"{name} = {value!r}" for name, value in parameters.items()))
    return cells


def run_floor(root: Path, data: str, figures: Path | None = None) -> dict:
    """Run every job's cells; with `figures`, keep each SVG figure as figures/<job>-<n>.svg."""
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    from IPython.core.interactiveshell import InteractiveShell

    class Shell(InteractiveShell):
        def enable_gui(self, gui=None):  # the inline backend needs no event loop
            pass

    started_cpu, started = cpu_seconds(), time.perf_counter()
    jobs = plan(root, data)
    shell = Shell.instance()
    shell.run_line_magic("matplotlib", "inline")  # figures rendered at the end of each cell, as in a kernel
    kept, shown = [], []

    def publish(data, *args, **kwargs):  # formatted (as a kernel does), not printed
        if "image/svg+xml" in data:
            shown.append(1)
            if figures is not None:
                kept.append(data["image/svg+xml"])

    shell.display_pub.publish = publish
    shell.displayhook.write_format_data = lambda *args, **kwargs: None
    shell.displayhook.write_output_prompt = lambda: None
    figure_cpu, figure_count = 0.0, 0
    with tempfile.TemporaryDirectory() as scratch:
        for job in jobs:
            results = Path(scratch) / job.name
            results.mkdir()
            shell.reset(new_session=False)
            gc.freeze()  # as the warm kernels do: the next reset's collection skips what survived this one
            for source in job_cells(root, job, results):
                cell_started = time.process_time()
                outcome = shell.run_cell(source, silent=False, store_history=True)  # a trailing ; then silences
                if not outcome.success:
                    raise RuntimeError(f"{job.name}: a cell failed: {outcome.error_in_exec or outcome.error_before_exec}")
                if shown:
                    figure_cpu += time.process_time() - cell_started
                    figure_count += len(shown)
                    shown.clear()
            for number, svg in enumerate(kept):
                figures.mkdir(parents=True, exist_ok=True)
                (figures / f"{job.name}-{number}.svg").write_text(svg, encoding="utf-8")
            kept.clear()
    return {"jobs": len(jobs), "cpu_s": round(cpu_seconds() - started_cpu, 2),
            "wall_s": round(time.perf_counter() - started, 2),
            "figures": figure_count, "figure_cells_cpu_s": round(figure_cpu, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="data/synthetic")
    parser.add_argument("--profile", help="write a cProfile of the run to this file")
    parser.add_argument("--figures", type=Path, help="keep every figure as an SVG file in this folder")
    args = parser.parse_args()
    root = Path.cwd()
    os.chdir(root)
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        result = profiler.runcall(run_floor, root, args.data, args.figures)
        profiler.dump_stats(args.profile)
    else:
        result = run_floor(root, args.data, args.figures)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
