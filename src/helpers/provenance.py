"""Where a result came from: the code version, the environment and the data."""

from __future__ import annotations

import platform
import subprocess
from importlib import metadata
from pathlib import Path

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
