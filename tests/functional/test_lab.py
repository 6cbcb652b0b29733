"""`linkbook lab`: JupyterLab serves the MyST templates as notebooks, offline, on localhost."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.request

from helpers.cli.lab import VIEWERS, lab_command
from helpers.core.project import Project
from helpers.pipeline.templates import read_template


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str, deadline: float):
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}?token=t&type=notebook", timeout=2) as r:
                return json.load(r)
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.5)


def test_lab_opens_each_template_as_the_notebook_papermill_runs(tmp_path):
    project = Project.find()
    port = _free_port()
    command = lab_command(project, port, browser=False) + ["--IdentityProvider.token=t"]
    assert "--ip=127.0.0.1" in command
    with (tmp_path / "lab.log").open("w") as log:
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
    try:
        deadline = time.time() + 90
        settings = _get(port, "/lab/api/settings/@jupyterlab/docmanager-extension:plugin", deadline)
        assert settings["schema"]["properties"]["defaultViewers"]["default"] == VIEWERS
        served = _get(port, "/api/contents/site.md", deadline)
        assert served["type"] == "notebook"
        sources = [c["source"] for c in served["content"]["cells"]]
        assert sources == [c.source for c in read_template(project.notebooks / "site.md").cells]
    finally:
        server.terminate()
        server.wait(20)
