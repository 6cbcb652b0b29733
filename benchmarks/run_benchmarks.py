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

CPU-time groups (user+sys of every process a command starts, benchmarks/measure.py):
  compare             this checkout against a baseline commit (default ad650c1), side by side in one
                      session, alternating: cold `linkbook run`, then `linkbook build` (the Sphinx stage),
                      a one-site change and its build, and the floor (benchmarks/floor.py: every
                      notebook's code in one in-process shell) of each side
  sizes               synthetic datasets of N sites: cold run and book with peak memory per process,
                      a rebuild with nothing changed; cost per site and Sphinx cost per page

Usage: .venv/bin/python benchmarks/run_benchmarks.py [--groups wall compare sizes] [--sizes 25 50 100]
       [--skip-baselines] [--repeats 3] [--baseline ad650c1]
Groups not run keep their previous figures in results.json and the README.
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

from measure import StepFailed, become_subreaper, measure

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
LINKBOOK = [str(BIN / "python"), "-m", "helpers"]
TARGET_SIZES = (25, 100, 500, 1250)  # the sizes the scale targets are stated for


def copy_project(target: Path, dataset: Path | None = None, source: Path = ROOT) -> Path:
    """A fresh project: templates, chapters and configuration of `source` (a checkout), and a dataset."""
    target.mkdir(parents=True, exist_ok=True)
    for name in ("_config.yml", "_toc.yml", "requirements.lock"):
        shutil.copy(source / name, target / name)
    shutil.copytree(source / "notebooks", target / "notebooks")
    shutil.copytree(source / "book", target / "book", ignore=shutil.ignore_patterns("generated"))
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
            "commit": commit.stdout.strip() or "unknown", "load": os.getloadavg()[0]}


def source_tree(tmp: Path, commit: str) -> Path:
    """The files of `commit` (git archive), to run that commit's code and templates."""
    target = tmp / f"tree-{commit}"
    target.mkdir()
    archive = subprocess.run(["git", "archive", commit], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def compare(tmp: Path, baseline: str, repeats: int) -> dict:
    """Both sides, alternating, on the embedded data: CPU and wall seconds of each step."""
    tree = source_tree(tmp, baseline)
    sides = {"baseline": (tree, {**os.environ, "PYTHONPATH": str(tree / "src")}), "current": (ROOT, None)}
    runs: dict = {name: [] for name in sides}
    for repeat in range(repeats):
        for name, (source, env) in sides.items():
            # each side on its own embedded data: the data contract has changed since the baseline
            project = copy_project(tmp / f"{name}{repeat}", source / "data" / "synthetic", source=source)
            steps = {"run": measure([*LINKBOOK, "run"], project, env, memory=True),  # memory: CPU by process kind too
                     "book": measure([*LINKBOOK, "build"], project, env)}
            change_one_site(project)
            steps["one-site"] = measure([*LINKBOOK, "build"], project, env, memory=True)
            floor = measure([str(BIN / "python"), str(ROOT / "benchmarks" / "floor.py")], project, env)
            steps["floor"] = {**floor, "inner": json.loads(floor["output"].strip().splitlines()[-1])}
            runs[name].append({step: {k: v for k, v in m.items() if k != "output"} for step, m in steps.items()})
            print(name, repeat, {step: (m["cpu_s"], m["wall_s"]) for step, m in steps.items()}, flush=True)
    return {"machine": machine(), "baseline": baseline, "repeats": repeats, "runs": runs}


def sizes(tmp: Path, counts: list[int], keep: bool = False) -> dict:
    """Cold run and book of synthetic datasets of each size, with peak memory per process; with
    `keep`, each size's project (its executed notebooks and book) is left in `tmp` to look at."""
    figures = {}
    for size in counts:
        data = tmp / f"data{size}"
        subprocess.run([*LINKBOOK, "synth", "--out", str(data), "--sites", str(size)], check=True,
                       capture_output=True)
        project = copy_project(tmp / f"p{size}", data)
        steps = {"run": measure([*LINKBOOK, "run"], project, memory=True),
                 "book": measure([*LINKBOOK, "build"], project, memory=True),
                 "no-change": measure([*LINKBOOK, "build"], project)}
        html = project / "_build" / "html"
        pages = sum(1 for p in html.rglob("*.html") if "_static" not in p.parts and "_sources" not in p.parts)
        figures[str(size)] = {"pages": pages, "measured": machine(),
                              **{k: {f: v for f, v in m.items() if f != "output"} for k, m in steps.items()}}
        print(size, figures[str(size)], flush=True)
        if not keep:
            shutil.rmtree(project, ignore_errors=True)
            shutil.rmtree(data, ignore_errors=True)
    return {"machine": machine(), "sizes": figures}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--groups", nargs="*", default=["wall", "compare", "sizes"],
                        choices=["wall", "compare", "sizes"])
    parser.add_argument("--sizes", type=int, nargs="*", default=list(TARGET_SIZES))
    parser.add_argument("--wall-sizes", type=int, nargs="*", default=[25, 50, 100],
                        help="sizes of the wall-clock group")
    parser.add_argument("--skip-baselines", action="store_true")
    parser.add_argument("--baseline", default="ad650c1", help="commit the compare group measures against")
    parser.add_argument("--repeats", type=int, default=3,
                        help="runs of the cold / no-change / one-site sequence (the median is reported)")
    parser.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "results.json",
                        help="results file to update (the README is written from benchmarks/results.json only)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the projects of the sizes group (printed at the end) to look at their books")
    parser.add_argument("--merge", type=Path, nargs="*", default=None,
                        help="copy the groups of these results files into --results, rewrite the README, run nothing")
    args = parser.parse_args()
    become_subreaper()
    out = args.results
    stored = json.loads(out.read_text()) if out.is_file() else {}
    if "machine" in stored:  # the single-group layout of earlier runs
        stored = {"wall": stored}
    if args.merge is not None:  # `--merge` alone: rewrite the README from the results file
        for other in map(lambda path: json.loads(path.read_text()), args.merge):
            if "sizes" in other and "sizes" in stored:  # sizes measured in separate sessions add up
                other["sizes"]["sizes"] = {**stored["sizes"]["sizes"], **other["sizes"]["sizes"]}
            stored.update(other)
        _save(out, stored)
        return
    tmp = Path(tempfile.mkdtemp(prefix="linkbook-bench-"))
    try:
        if "compare" in args.groups:
            stored["compare"] = compare(tmp, args.baseline, args.repeats)
            _save(out, stored)
        if "sizes" in args.groups:
            stored["sizes"] = sizes(tmp, args.sizes, args.keep)
            _save(out, stored)
        if "wall" in args.groups:
            stored["wall"] = wall(tmp, args)
            _save(out, stored)
    except StepFailed as failed:  # keep the projects (an hour of executed notebooks at 1,250 sites) and the figures
        print(f"{failed}\nmeasured so far: {json.dumps({k: v for k, v in failed.measured.items() if k != 'output'})}"
              f"\nprojects kept in {tmp}", file=sys.stderr)
        raise SystemExit(1)
    if args.keep:
        print(f"projects kept in {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)


HAND_WRITTEN = "<!-- Below: written by hand, kept when the sections above are regenerated. -->"


def _save(out: Path, stored: dict) -> None:
    out.write_text(json.dumps(stored, indent=2) + "\n")
    if out.resolve() == (ROOT / "benchmarks" / "results.json").resolve():
        readme = ROOT / "benchmarks" / "README.md"
        old = readme.read_text() if readme.is_file() else ""
        kept = old[old.index(HAND_WRITTEN):] if HAND_WRITTEN in old else HAND_WRITTEN + "\n"
        readme.write_text(report(stored) + "\n" + kept)


def wall(tmp: Path, args) -> dict:
    """The wall-clock sequence: cold, no-change, one-site, watch; baselines (a) and (b); N sites."""
    results = {"machine": machine(), "seconds": {}, "runs": {}}
    seconds, runs = results["seconds"], results["runs"]
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
    for size in args.wall_sizes:
        data = tmp / f"wall-data{size}"
        subprocess.run([str(BIN / "linkbook"), "synth", "--out", str(data), "--sites", str(size)],
                       check=True, capture_output=True)
        seconds[f"linkbook cold, {size} sites"] = linkbook_build(copy_project(tmp / f"wall-p{size}", data))
    return results


def report(stored: dict) -> str:
    """benchmarks/README.md: each group's figures, the machine and commit measured, and the targets."""
    lines = ["# Benchmarks", "",
             "Three groups, each measured in one session by `benchmarks/run_benchmarks.py` (the line under each "
             "heading gives machine, date and commit). CPU time is user + sys of every process a command "
             "starts (workers, kernels, Sphinx), from getrusage; it is the figure comparisons use, because this "
             "machine is shared: other jobs ran at the same time (the load average is given), which moves wall "
             "time much more than CPU time.", ""]
    if "compare" in stored:
        lines += compare_report(stored["compare"])
    if "sizes" in stored:
        lines += sizes_report(stored["sizes"])
    if "wall" in stored:
        lines += wall_report(stored["wall"])
    if stored.get("notes"):  # observations of runs that did not complete, written into results.json by hand
        lines += ["## Notes", ""] + [f"- {note}" for note in stored["notes"]] + [""]
    lines += ["Re-run: `nice -n 19 .venv/bin/python benchmarks/run_benchmarks.py [--groups compare sizes wall]`. "
              "Timings are never asserted in tests.", ""]
    return "\n".join(lines)


def _machine_line(m: dict) -> str:
    load = f"; load average {m['load']:.1f} at the start" if "load" in m else ""
    return (f"on {m['date']}" + (f" at commit {m['commit']}" if "commit" in m else "")
            + f": {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Python {m['python']}{load}")


def _median(runs: list[dict], step: str, field: str = "cpu_s") -> float:
    return statistics.median(r[step][field] for r in runs)


def compare_report(group: dict) -> list[str]:
    base, cur = group["runs"]["baseline"], group["runs"]["current"]
    rows = [("notebooks: cold `linkbook run`", "run"), ("book: `linkbook build` after it (Sphinx)", "book"),
            ("one site changed: `linkbook build`", "one-site"), ("floor: every notebook in one shell", "floor")]
    lines = [f"## This commit against {group['baseline']} (CPU seconds)", "",
             f"`--groups compare`, {_machine_line(group['machine'])}. Each side in a fresh copy of the project "
             f"on the embedded 7-site data, the two sides alternating, {group['repeats']} time(s); medians, "
             "wall seconds in brackets. A cold build is the cold run plus the book.", "",
             f"| step | {group['baseline']} | this commit | ratio |", "|---|---|---|---|"]
    for label, step in rows:
        b, c = _median(base, step), _median(cur, step)
        lines.append(f"| {label} | {b:.1f} ({_median(base, step, 'wall_s'):.0f}) | "
                     f"{c:.1f} ({_median(cur, step, 'wall_s'):.0f}) | {c / b:.2f} |")
    cold_b = statistics.median(r["run"]["cpu_s"] + r["book"]["cpu_s"] for r in base)
    cold_c = statistics.median(r["run"]["cpu_s"] + r["book"]["cpu_s"] for r in cur)
    lines.append(f"| cold build (run + book) | {cold_b:.1f} | {cold_c:.1f} | {cold_c / cold_b:.2f} |")
    one_b, one_c = _median(base, "one-site") / cold_b, _median(cur, "one-site") / cold_c
    over_b = _median(base, "run") / _median(base, "floor") - 1
    over_c = _median(cur, "run") / _median(cur, "floor") - 1
    lines += _by_kind_rows(base, cur)
    figures_b, figures_c = _figure_cells(base), _figure_cells(cur)
    if figures_b and figures_c:  # floors run before the floor reported its figures have none
        lines += [f"| figures: CPU of the floor's cells that draw them ({figures_b[1]} / {figures_c[1]} figures) "
                  f"| {figures_b[0]:.1f} | {figures_c[0]:.1f} | {figures_c[0] / figures_b[0]:.2f} |",
                  f"| figures: CPU per figure | {figures_b[0] / figures_b[1]:.3f} | {figures_c[0] / figures_c[1]:.3f} "
                  f"| {figures_c[0] / figures_c[1] / (figures_b[0] / figures_b[1]):.2f} |"]
    checks = [("cold build CPU at most half of the baseline's", cold_c / cold_b, cold_c / cold_b <= 0.5),
              (f"one-site build / cold build ({group['baseline']})", one_b, one_b < 0.35),
              ("one-site build / cold build (this commit)", one_c, one_c < 0.35),
              (f"pipeline over the floor, `linkbook run` CPU / floor CPU - 1 ({group['baseline']})", over_b,
               over_b <= 0.15),
              ("pipeline over the floor (this commit)", over_c, over_c <= 0.15)]
    if figures_b and figures_c:
        ratio = figures_c[0] / figures_c[1] / (figures_b[0] / figures_b[1])
        checks.insert(1, ("figures: CPU per figure at most half of the baseline's", ratio, ratio <= 0.5))
    lines += ["", "| target | measured | met |", "|---|---|---|"]
    lines += [f"| {name} | {value:.2f} | {'yes' if ok else 'no'} |" for name, value, ok in checks]
    return lines + [""]


def _by_kind_rows(base: list[dict], cur: list[dict]) -> list[str]:
    """Rows of the cold run's and the one-site build's CPU by process kind (sampled from /proc)."""
    rows = []
    for step, label in (("run", "cold `linkbook run`"), ("one-site", "one site changed")):
        for kind in ("kernel", "worker", "parent", "sphinx"):
            def sampled(runs):
                values = [r[step].get("peak_rss", {}).get(kind, {}).get("cpu_s_sampled") for r in runs]
                return statistics.median(values) if values and None not in values else None
            b, c = sampled(base), sampled(cur)
            if b and c:
                rows.append(f"| {label}: {kind} processes | {b:.1f} | {c:.1f} | {c / b:.2f} |")
    return rows


def _figure_cells(runs: list[dict]) -> tuple[float, int] | None:
    """Median CPU of the floor's figure cells and the number of figures, if the floor reported them."""
    inner = [r["floor"].get("inner", {}) for r in runs]
    if not inner or any("figure_cells_cpu_s" not in i for i in inner):
        return None
    return statistics.median(i["figure_cells_cpu_s"] for i in inner), inner[0]["figures"]


def sizes_report(group: dict) -> list[str]:
    sizes_ = group["sizes"]
    lines = ["## Synthetic datasets of N sites (CPU seconds, peak memory)", "",
             f"`--groups sizes`, {_machine_line(group['machine'])}. Per size: `linkbook synth`, a cold "
             "`linkbook run`, then `linkbook build` (the Sphinx stage: nothing left to execute), then "
             "`linkbook build` again with nothing changed. Peak resident memory (VmHWM) of each process sampled "
             "every 0.5 s, the largest of each kind. Sizes measured in separate sessions name their commit and "
             "load average.", "",
             "*Added per site* is the run's CPU over the size before, per site added: the cost of one more "
             "site, without the dataset-wide syntheses' share that *per site* spreads over few sites at small "
             "sizes.", "",
             "*Added per page* likewise is the book's CPU over the size before, per page added (a site's "
             "page, or a region's): *per page* also spreads the fixed chapters (about 25 short pages) over the "
             "site pages, so it rises with the share of site pages even when each page costs the same.", "",
             "| sites | run CPU | per site | added per site | run wall | book CPU | pages | book CPU per page "
             "| added per page | no-change wall | peak MB: parent / worker / kernel / Sphinx | commit, load |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    added, added_pages = _added_per_site(sizes_), _added_per_page(sizes_)
    for n, f in sorted(sizes_.items(), key=lambda item: int(item[0])):
        measured = f.get("measured", group["machine"])
        peaks = {**f["book"].get("peak_rss", {}), **{k: v for k, v in f["run"].get("peak_rss", {}).items()}}
        parent = max(f["run"].get("peak_rss", {}).get("parent", {}).get("max_mb", 0),
                     f["book"].get("peak_rss", {}).get("parent", {}).get("max_mb", 0))
        memory = " / ".join(f"{peaks.get(k, {}).get('max_mb', 0):.0f}" for k in ("worker", "kernel"))
        sphinx = f["book"].get("peak_rss", {}).get("sphinx", {}).get("max_mb", 0)
        step = f"{added[n]:.2f}" if n in added else ""
        page_step = f"{added_pages[n]:.2f}" if n in added_pages else ""
        lines.append(f"| {n} | {f['run']['cpu_s']:.0f} | {f['run']['cpu_s'] / int(n):.2f} | {step} | {f['run']['wall_s']:.0f} "
                     f"| {f['book']['cpu_s']:.0f} | {f['pages']} | {f['book']['cpu_s'] / f['pages']:.2f} | {page_step} "
                     f"| {f['no-change']['wall_s']:.1f} | {parent:.0f} / {memory} / {sphinx:.0f} "
                     f"| {measured['commit']}, {measured.get('load', 0):.1f} |")
    per_site = [f["run"]["cpu_s"] / int(n) for n, f in sizes_.items()]
    per_page = [f["book"]["cpu_s"] / f["pages"] for f in sizes_.values()]
    parent = max(max(f[s].get("peak_rss", {}).get("parent", {}).get("max_mb", 0) for s in ("run", "book"))
                 for f in sizes_.values())
    ordered = [f["run"]["cpu_s"] / int(n) for n, f in sorted(sizes_.items(), key=lambda item: int(item[0]))]
    checks = [("cost per site flat: largest / smallest CPU per site", max(per_site) / min(per_site),
               max(per_site) / min(per_site) <= 1.15),
              ("cost per site does not grow: CPU per site at the largest size / at the smallest",
               ordered[-1] / ordered[0], ordered[-1] / ordered[0] <= 1.15),
              *([("cost of one more site flat: largest / smallest added CPU per site",
                  max(added.values()) / min(added.values()), max(added.values()) / min(added.values()) <= 1.15)]
                if len(added) > 1 else []),
              ("Sphinx cost per page flat: largest / smallest", max(per_page) / min(per_page),
               max(per_page) / min(per_page) <= 1.15),
              *([("Sphinx cost of one more page flat: largest / smallest added CPU per page",
                  max(added_pages.values()) / min(added_pages.values()),
                  max(added_pages.values()) / min(added_pages.values()) <= 1.15)] if len(added_pages) > 1 else []),
              ("parent process peak memory under 2 GB (MB)", parent, parent < 2048)]
    lines += ["", "| target | measured | met |", "|---|---|---|"]
    lines += [f"| {name} | {value:.2f} | {'yes' if ok else 'no'} |" for name, value, ok in checks]
    missing = [n for n in TARGET_SIZES if str(n) not in sizes_]
    if missing:
        lines += ["", f"Not measured in this session: {', '.join(f'{n:,}' for n in missing)} sites (the targets "
                  "above then cover only the sizes in the table)."]
    return lines + [""]


def _added_per_site(sizes_: dict) -> dict[str, float]:
    """For each size after the smallest: (run CPU - run CPU of the size before) / sites added."""
    ordered = sorted(sizes_.items(), key=lambda item: int(item[0]))
    return {n: (f["run"]["cpu_s"] - before["run"]["cpu_s"]) / (int(n) - int(m))
            for (m, before), (n, f) in zip(ordered, ordered[1:])}


def _added_per_page(sizes_: dict) -> dict[str, float]:
    """For each size after the smallest: (book CPU - book CPU of the size before) / pages added."""
    ordered = sorted(sizes_.items(), key=lambda item: int(item[0]))
    return {n: (f["book"]["cpu_s"] - before["book"]["cpu_s"]) / (f["pages"] - before["pages"])
            for (m, before), (n, f) in zip(ordered, ordered[1:]) if f["pages"] > before["pages"]}


def wall_report(results: dict) -> list[str]:
    """The wall-clock group: the figures of one run, the machine, and the targets they are held to."""
    m, s = results["machine"], results["seconds"]
    runs = results.get("runs", {})
    lines = ["## Wall-clock sequence", "",
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
    return lines + [""]


if __name__ == "__main__":
    main()
