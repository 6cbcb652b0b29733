"""A throw-away copy of the project for tests that run the real pipeline."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from support import EMBEDDED, ROOT

PROJECT_FILES = ("_config.yml", "_toc.yml", "requirements.lock", "CITATION.cff")


def make_project(target: Path, dataset: Path = EMBEDDED) -> Path:
    """Copy the templates, chapters and configuration, plus a dataset under data/synthetic."""
    for name in PROJECT_FILES:
        shutil.copy(ROOT / name, target / name)
    shutil.copytree(ROOT / "notebooks", target / "notebooks")
    shutil.copytree(ROOT / "_static", target / "_static")
    shutil.copytree(ROOT / "book", target / "book", ignore=shutil.ignore_patterns("generated"))
    shutil.copytree(dataset, target / "data" / "synthetic", ignore=shutil.ignore_patterns("truth.json"))
    return target


def linkbook(project: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "helpers", *args], cwd=project, capture_output=True,
                          text=True, timeout=timeout)


def manifest(project: Path) -> dict:
    return json.loads((project / "results" / "manifest.json").read_text(encoding="utf-8"))


def executed_jobs(project: Path) -> set[str]:
    return {job["name"] for job in manifest(project)["jobs"] if not job["reused"]}


def results_bytes(project: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((project / "results").glob("*.csv"))}


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited; only its parent has not collected it yet


def gone_within(pids: set[int], seconds: float) -> bool:
    """Whether all of `pids` have exited within `seconds`."""
    deadline = time.monotonic() + seconds
    while any(_running(p) for p in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True
