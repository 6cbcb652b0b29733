"""Build-time benchmarks, measured side by side in one run; writes benchmarks/results.json.

Scenarios (each in a fresh copy of the project, so nothing is shared between them):
  linkbook cold       `linkbook build` on the embedded data with empty caches
  linkbook no-change  the same build again, nothing changed
  linkbook one-site   one questionnaire answer of one site changed, then build
  linkbook watch one-site  the same change made while `linkbook watch` runs, from the write
                      to the end of its rebuild (polling included): first and next change of a session
  (a) papermill loop  the same notebooks executed one after another with papermill, then jupyter-book
  (b) jupyter-book cache  the same notebooks prepared with `papermill --prepare-only` and executed by
                      jupyter-book's own `execute_notebooks: cache`
  linkbook N sites    cold builds of synthetic datasets of several sizes (cost per site)

Usage: .venv/bin/python benchmarks/run_benchmarks.py [--sizes 25 50 100] [--skip-baselines] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def copy_project(target: Path, dataset: Path | None = None) -> Path:
    for name in ("_config.yml", "_toc.yml", "requirements.lock"):
        shutil.copy(ROOT / name, target / name)
    shutil.copytree(ROOT / "notebooks", target / "notebooks")
    shutil.copytree(ROOT / "book", target / "book", ignore=shutil.ignore_patterns("generated"))
    shutil.copytree(dataset or ROOT / "data" / "synthetic", target / "data" / "synthetic",
                    ignore=shutil.ignore_patterns("truth.json"))
    return target


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    completed = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}")
    return elapsed


def linkbook_build(project: Path) -> float:
    return timed([str(BIN / "linkbook"), "build"], project)


def change_one_site(project: Path, site: str = "S2") -> None:
    path = project / "data" / "synthetic" / "questionnaires.csv"
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    row = table.index[table["participant_id"].str.startswith(f"{site}-")][0]
    table.loc[row, "ons_happy"] = str((int(table.loc[row, "ons_happy"] or 5) + 1) % 11)
    table.to_csv(path, index=False, lineterminator="\n")


def watch_one_site(project: Path, settle: float = 10.0) -> tuple[float, float]:
    """Seconds from writing a one-site change to the end of `linkbook watch`'s rebuild,
    for the first change of a session and for the next one.

    The watcher starts on the up-to-date project and is left idle for `settle`
    seconds (its kernels start in the background), as when a researcher edits data.
    The first rebuild still pays each kernel's first use of the analysis code
    (about 0.3 s a notebook); the next one shows a session's steady state.
    """
    watcher = subprocess.Popen([str(BIN / "linkbook"), "watch"], cwd=project, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        _wait_for_line(watcher, "Watching for changes")
        seconds = []
        for pause in (settle, 3.0):
            time.sleep(pause)
            start = time.perf_counter()
            change_one_site(project)
            line = _wait_for_line(watcher, "Watching for changes")
            seconds.append(time.perf_counter() - start)
            if not line.startswith("Built"):
                raise RuntimeError(f"linkbook watch: {line}")
        return seconds[0], seconds[1]
    finally:
        watcher.send_signal(signal.SIGINT)
        watcher.wait(timeout=60)


def _wait_for_line(process: subprocess.Popen, text: str) -> str:
    for line in process.stdout:
        if text in line:
            return line
    raise RuntimeError(f"linkbook watch stopped (exit code {process.wait()}) before printing {text!r}")


def notebook_jobs(project: Path) -> list[tuple[str, str, dict]]:
    """(template, output stem, parameters) for every notebook, as the pipeline would run them."""
    sys.path.insert(0, str(ROOT / "src"))
    from helpers.data.dataset import load_dataset
    from helpers.pipeline.plan import plan_jobs, read_pipeline

    dataset = load_dataset(project / "data" / "synthetic")
    jobs = plan_jobs(read_pipeline(project / "notebooks"), dataset, "data/synthetic", "results")
    # Absolute paths: jupyter-book's cache mode runs each notebook in the notebook's own folder.
    return [(j.template, j.output, {**j.parameters, "data_dir": str(project / "data" / "synthetic"),
                                    "results_dir": str(project / ".bench" / j.name)})
            for j in jobs]


def papermill_loop(project: Path) -> float:
    """Baseline (a): papermill, one notebook after another, then the book."""
    import papermill

    start = time.perf_counter()
    for template, output, parameters in notebook_jobs(project):
        target = project / "book" / "generated" / output
        target.parent.mkdir(parents=True, exist_ok=True)
        papermill.execute_notebook(str(project / "notebooks" / template), str(target), parameters=parameters,
                                   cwd=str(project), kernel_name="python3", progress_bar=False)
    _jupyter_book(project, execute="off")
    return time.perf_counter() - start


def jupyter_book_cache(project: Path) -> float:
    """Baseline (b): notebooks prepared with parameters, executed by jupyter-book's cache mode."""
    for template, output, parameters in notebook_jobs(project):
        target = project / "book" / "generated" / output
        target.parent.mkdir(parents=True, exist_ok=True)
        args = [str(BIN / "papermill"), "--prepare-only", "--cwd", str(project),
                str(project / "notebooks" / template), str(target)]
        for key, value in parameters.items():
            args += ["-p", key, str(value)] if isinstance(value, str) else ["-y", f"{key}: {value}"]
        subprocess.run(args, check=True, capture_output=True)
    start = time.perf_counter()
    _jupyter_book(project, execute="cache")
    elapsed = time.perf_counter() - start
    failed = sorted(str(p.relative_to(project)) for p in (project / "_build" / "html" / "reports").rglob("*.err.log"))
    if failed:  # jupyter-book only warns when a notebook fails; a baseline that skipped work is no baseline
        raise RuntimeError(f"jupyter-book cache mode: {len(failed)} notebook(s) failed: {', '.join(failed)}")
    return elapsed


def _jupyter_book(project: Path, execute: str) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    from helpers.book.build import write_generated_sources
    from helpers.data.dataset import load_dataset
    from helpers.core.project import Project
    from helpers.report.provenance import run_context

    proj = Project(project)
    dataset = load_dataset(project / "data" / "synthetic")
    pages = [f"book/generated/sites/{s}" for s in dataset.site_ids]
    context = run_context(project, dataset)
    manifest = {**context, "dataset": {**context["dataset"], "path": "data/synthetic"}, "jobs": []}
    write_generated_sources(proj, dataset, pages, manifest)
    config_path = proj.generated / "_config.yml"
    config = yaml.safe_load(config_path.read_text())
    config["execute"] = {"execute_notebooks": execute, "timeout": 600,
                         "run_in_temp": False, "exclude_patterns": []}
    config_path.write_text(yaml.safe_dump(config))
    subprocess.run([str(BIN / "jupyter-book"), "build", str(project), "--config", str(config_path),
                    "--toc", str(proj.generated / "_toc.yml"), "-q"], cwd=project, check=True,
                   capture_output=True)


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), "0")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(int(mem) / 1024 ** 2, 1),
            "python": platform.python_version(), "date": time.strftime("%Y-%m-%d"),
            "commit": commit.stdout.strip() or "unknown"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[25, 50, 100])
    parser.add_argument("--skip-baselines", action="store_true")
    parser.add_argument("--repeats", type=int, default=3,
                        help="runs of the cold / no-change / one-site sequence (the median is reported)")
    args = parser.parse_args()
    results = {"machine": machine(), "seconds": {}, "runs": {}}
    seconds, runs = results["seconds"], results["runs"]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for repeat in range(args.repeats):
            (tmp / f"linkbook{repeat}").mkdir()
            project = copy_project(tmp / f"linkbook{repeat}")
            runs.setdefault("linkbook cold", []).append(linkbook_build(project))
            runs.setdefault("linkbook no-change", []).append(linkbook_build(project))
            change_one_site(project)
            runs.setdefault("linkbook one-site", []).append(linkbook_build(project))
            manifest = json.loads((project / "results" / "manifest.json").read_text())
            results["one-site re-ran"] = sorted(j["name"] for j in manifest["jobs"] if not j["reused"])
            first, following = watch_one_site(project)
            runs.setdefault("linkbook watch one-site, first change", []).append(first)
            runs.setdefault("linkbook watch one-site, next change", []).append(following)
        for name, values in runs.items():
            seconds[name] = statistics.median(values)
        if not args.skip_baselines:
            (tmp / "loop").mkdir()
            seconds["(a) papermill loop"] = papermill_loop(copy_project(tmp / "loop"))
            (tmp / "jbcache").mkdir()
            seconds["(b) jupyter-book cache"] = jupyter_book_cache(copy_project(tmp / "jbcache"))
        for size in args.sizes:
            data = tmp / f"data{size}"
            subprocess.run([str(BIN / "linkbook"), "synth", "--out", str(data), "--sites", str(size)],
                           check=True, capture_output=True)
            (tmp / f"p{size}").mkdir()
            seconds[f"linkbook cold, {size} sites"] = linkbook_build(copy_project(tmp / f"p{size}", data))
    out = ROOT / "benchmarks" / "results.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    (ROOT / "benchmarks" / "README.md").write_text(report(results))
    print(json.dumps(results, indent=2))


def report(results: dict) -> str:
    """benchmarks/README.md: the figures of one run, the machine, and the targets they are held to."""
    m, s = results["machine"], results["seconds"]
    runs = results.get("runs", {})
    lines = ["# Benchmarks", "",
             f"Measured by `benchmarks/run_benchmarks.py` on {m['date']}"
             + (f" at commit {m['commit']}" if "commit" in m else "") + f": {m['cpu']}, {m['cores']} cores, "
             f"{m['memory_gib']} GiB, Python {m['python']}. Wall-clock seconds, each scenario in a fresh copy "
             "of the project, all in one session, one after another. The linkbook cold / no-change / one-site / "
             f"watch sequence ran {len(next(iter(runs.values()), [None]))} times: the table gives the median and the "
             "range (on this shared virtual machine the same build varies by 10-20% from run to run); the "
             "other scenarios ran once.", "",
             "Scenarios: *cold* is `linkbook build` with empty caches on the embedded 7-site data; *no-change* "
             "the same build again; *one-site* after changing one questionnaire answer at site S2, which "
             f"re-runs {', '.join(results.get('one-site re-ran', []))} and the book; *watch one-site* the "
             "same kind of change made while `linkbook watch` runs (idle, kernels and Sphinx server started), "
             "timed from the write to the end of the rebuild, polling included: the first change of a session, "
             "whose notebooks are each kernel's first, and the next change; *(a)* a sequential "
             "papermill loop over the same notebooks, then jupyter-book; *(b)* the same notebooks prepared with "
             "`papermill --prepare-only` and executed by jupyter-book's `execute_notebooks: cache`; *N sites* "
             "cold builds of synthetic datasets of that size.", "",
             "| scenario | seconds | range |", "|---|---|---|"]
    lines += [f"| {name} | {value:.1f} | "
              + (f"{min(runs[name]):.1f}-{max(runs[name]):.1f} |" if name in runs else "one run |")
              for name, value in s.items()]
    cold = s["linkbook cold"]
    checks = [("no-change rebuild under 1.5 s", s["linkbook no-change"], s["linkbook no-change"] < 1.5)]
    checks += [(f"one-site change under 35% of the cold build ({how})", s[name] / cold, s[name] / cold < 0.35)
               for name, how in (("linkbook one-site", "`linkbook build`"),
                                 ("linkbook watch one-site, first change", "`linkbook watch`, first change"),
                                 ("linkbook watch one-site, next change", "`linkbook watch`, next change"))
               if name in s]
    if "(b) jupyter-book cache" in s:
        checks.append(("cold build at least 1.7x faster than jupyter-book's cache mode",
                       s["(b) jupyter-book cache"] / cold, s["(b) jupyter-book cache"] / cold >= 1.7))
    sizes = {int(k.split(", ")[1].split()[0]): v for k, v in s.items() if k.startswith("linkbook cold, ")}
    if 100 in sizes:
        checks.append(("100 sites under 180 s", sizes[100], sizes[100] < 180))
    lines += ["", "| target | measured | met |", "|---|---|---|"]
    lines += [f"| {name} | {value:.2f} | {'yes' if ok else 'no'} |" for name, value, ok in checks]
    if sizes:
        lines += ["", "Cost per site (cold build seconds divided by sites): " +
                  ", ".join(f"{n} sites {v / n:.2f} s" for n, v in sorted(sizes.items())) + "."]
    lines += ["", "Re-run: `.venv/bin/python benchmarks/run_benchmarks.py` (about 13 minutes on 2 cores). "
              "Timings are never asserted in tests.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
