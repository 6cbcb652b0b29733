"""`linkbook lab`: JupyterLab on the notebook templates, each MyST Markdown file opening as a notebook.

jupytext's JupyterLab extension opens `.md` files as notebooks when JupyterLab's
default viewer for Markdown is "Jupytext Notebook"; that setting is written as an
overrides file into the project's cache and JupyterLab pointed at it, so nothing is
written into the user's or the environment's settings.
A template opened this way runs top to bottom on its default parameters (site S1
of the embedded data), and saving writes the MyST text back.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from helpers.core.project import Project

VIEWERS = {"markdown": "Jupytext Notebook", "myst": "Jupytext Notebook"}


def lab_command(project: Project, port: int = 8888, browser: bool = True) -> list[str]:
    """The command that starts JupyterLab in notebooks/ on localhost only, with the
    overrides file that opens MyST Markdown as notebooks."""
    settings = project.cache / "lab-settings"
    settings.mkdir(parents=True, exist_ok=True)
    overrides = {"@jupyterlab/docmanager-extension:plugin": {"defaultViewers": VIEWERS}}
    (settings / "overrides.json").write_text(json.dumps(overrides, indent=2) + "\n", encoding="utf-8")
    return [sys.executable, "-m", "jupyterlab", f"--notebook-dir={project.notebooks}", "--ip=127.0.0.1",
            f"--port={port}", f"--LabApp.app_settings_dir={settings}",
            "--LabApp.extension_manager=readonly",  # offline: never asks a package index for extensions
            *([] if browser else ["--no-browser"]), *(["--allow-root"] if os.geteuid() == 0 else [])]


def open_lab(project: Project, port: int = 8888, browser: bool = True) -> int:
    """Run JupyterLab in the foreground until it is stopped; its exit code."""
    try:
        return subprocess.call(lab_command(project, port, browser), cwd=project.notebooks)
    except KeyboardInterrupt:
        return 0
