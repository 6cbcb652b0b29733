"""Where a result came from: the code version, the environment and the data."""

from __future__ import annotations

import platform
import subprocess
from importlib import metadata
from pathlib import Path

from helpers.report.escape import markdown_text, table_cell

KEY_PACKAGES = ("linkbook", "pandas", "numpy", "scipy", "pingouin", "statsmodels", "seaborn", "matplotlib",
                "networkx", "pandera", "papermill", "jupyter-book", "myst-nb")


def git_state(root: Path) -> dict:
    """Commit and whether the working tree had uncommitted changes (None outside git)."""
    def git(*args):
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": dirty}


def package_versions() -> dict:
    versions = {}
    for name in KEY_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def environment_summary() -> dict:
    return {"python": platform.python_version(), "platform": platform.platform(terse=True),
            "packages": package_versions()}


def run_context(root: Path, dataset) -> dict:
    """What every page of one run shares: code version, environment, dataset identity."""
    meta = dataset.metadata
    return {"git": git_state(root), "environment": environment_summary(),
            "dataset": {"name": meta.name, "synthetic": meta.synthetic}}


def provenance_markdown(context: dict, parameters: dict, inputs: dict, started: str, duration: float,
                        appendix: str) -> str:
    """A collapsed box for the top of an executed page, in the spirit of workflowr's report.
    Every value is escaped (`helpers.report.escape`): the dataset name and parameters are data."""
    git = context["git"]
    if git["commit"] is None:
        code = "not run from a git checkout"
    else:
        code = f"git commit `{git['commit'][:12]}`" + (
            "; **the working tree had uncommitted changes**" if git["dirty"] else "; no uncommitted changes")
    dataset = context["dataset"]
    kind = "synthetic" if dataset["synthetic"] else "real, not synthetic"
    env = context["environment"]
    packages = ", ".join(f"{name} {version}" for name, version in env["packages"].items() if version)
    rows = [
        ("Code", code),
        ("Dataset", f"{table_cell(dataset['name'])} ({kind})"),
        ("Data read", "; ".join(f"{table_cell(label)} sha256 `{digest[:16]}`" for label, digest in inputs.items())),
        ("Parameters", "; ".join(table_cell(f"{k} = {v!r}") for k, v in parameters.items())),
        ("Ran", table_cell(f"{started}, took {duration:.1f} s")),
        ("Environment", table_cell(f"Python {env['python']} on {env['platform']}; {packages}")),
    ]
    table = "\n".join(f"| {name} | {value} |" for name, value in rows)
    return ("::::{dropdown} Provenance: how this page was made\n"
            ":class-container: provenance\n\n"
            "| record | value |\n|---|---|\n" + table + "\n\n"
            f"Every notebook of the run is listed in [the provenance appendix]({appendix}).\n"
            "::::\n")


def provenance_page(manifest: dict) -> str:
    """The appendix listing every notebook of the run behind this build."""
    git, env, data = manifest["git"], manifest["environment"], manifest["dataset"]
    lines = [
        "# Provenance of this build", "",
        "Every executed page of this book carries a box saying how it was made. This appendix lists the "
        "whole run: which notebook produced which page, with which parameters and data, when, and how long it "
        "took. A notebook marked *reused* was not executed again because nothing it depends on had changed "
        "(its template, parameters, the rows of data it reads, the helpers package and the locked "
        "dependencies); its time is that of the run that made it. The same information is in "
        "`results/manifest.json`.", "",
        f"- Dataset: {markdown_text(data['name'])} ({'synthetic' if data['synthetic'] else 'real, not synthetic'}), "
        f"path {markdown_text(data['path'])}",
        f"- Code: git commit `{git['commit']}`" + (" with uncommitted changes" if git["dirty"] else ""),
        f"- Python {env['python']} on {env['platform']}", "",
        "| notebook | template | status | ran | seconds | parameters | data read (sha256) |",
        "|---|---|---|---|---|---|---|",
    ]
    for job in manifest["jobs"]:
        status = job["status"] + (" (reused)" if job.get("reused") else "")
        params = "; ".join(f"{k}={v}" for k, v in job["parameters"].items() if k != "results_dir")
        inputs = "; ".join(f"{k} {v[:12]}" for k, v in job["inputs"].items())
        cells = (job["name"], job["template"], status, job.get("started", ""), job.get("duration_s", ""), params, inputs)
        lines.append("| " + " | ".join(table_cell(cell) for cell in cells) + " |")
    lines += ["", "## Package versions", "", "| package | version |", "|---|---|"]
    lines += [f"| {table_cell(name)} | {table_cell(version)} |" for name, version in env["packages"].items()]
    return "\n".join(lines) + "\n"
