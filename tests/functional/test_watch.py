"""`linkbook watch`: what it notices, when it rebuilds or restarts, and that a rebuild on
warm kernels gives the same results as a fresh run."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from helpers.pipeline.kernels import template_imports
from helpers.book.sphinx_build import SphinxServer
from helpers.synth import write_dataset
from helpers.book.watch import RESTART, Inputs, changed, snapshot, touches, watch
from helpers.core.processes import descendants
from support.pipeline import executed_jobs, gone_within, linkbook, make_project, results_bytes


def test_a_snapshot_sees_added_changed_and_removed_files_but_not_caches_or_editor_files(tmp_path):
    data, generated = tmp_path / "data", tmp_path / "book" / "generated"
    (data / "__pycache__").mkdir(parents=True)
    generated.mkdir(parents=True)
    (data / "sites.csv").write_text("site_id\nS1\n")
    (data / "participants.csv").write_text("participant_id\n")
    before = snapshot([data, tmp_path / "book"], ignore=[generated])

    for name in (".sites.csv.swp", "sites.csv~"):
        (data / name).write_text("editor")
    (data / "__pycache__" / "x.pyc").write_bytes(b"\0")
    (generated / "page.md").write_text("written by the build")
    assert snapshot([data, tmp_path / "book"], ignore=[generated]) == before

    (data / "sites.csv").write_text("site_id\nS1\nS2\n")
    (data / "participants.csv").unlink()
    (tmp_path / "book" / "intro.md").write_text("# Intro\n")
    after = snapshot([data, tmp_path / "book"], ignore=[generated])
    assert [Path(p).name for p in changed(before, after)] == ["intro.md", "participants.csv", "sites.csv"]


def test_a_change_counts_as_code_only_under_the_restart_roots(tmp_path):
    code = tmp_path / "src" / "helpers"
    assert touches([str(code / "figures.py")], [code, tmp_path / "requirements.lock"])
    assert touches([str(tmp_path / "requirements.lock")], [code, tmp_path / "requirements.lock"])
    assert not touches([str(tmp_path / "src" / "helpers_old.py")], [code])


class Script:
    """A fake clock for `watch`: at given sleeps it edits files, and it counts builds."""

    def __init__(self, steps: dict):
        self.steps, self.sleeps, self.builds = steps, 0, []

    def sleep(self, _seconds):
        self.sleeps += 1
        if self.sleeps in self.steps:
            self.steps[self.sleeps]()
        if self.sleeps > 50:
            raise AssertionError("the watcher never returned")

    def build(self):
        self.builds.append(self.sleeps)


def test_a_save_in_two_writes_gives_one_build_and_a_code_change_restarts(tmp_path):
    data, code = tmp_path / "data", tmp_path / "helpers"
    data.mkdir()
    code.mkdir()
    table = data / "questionnaires.csv"
    table.write_text("a\n1\n")
    script = Script({
        2: lambda: table.write_text("a\n1\n2\n"),  # noticed at the check after sleep 2 ...
        3: lambda: table.write_text("a\n1\n2\n3\n"),  # ... still being written at sleep 3
        8: lambda: (code / "figures.py").write_text("X = 1\n"),
    })
    inputs = Inputs(rebuild=(data,), restart=(code,), ignore=())
    messages = []
    assert watch(inputs, script.build, interval=0.01, out=messages.append, sleep=script.sleep) == RESTART
    assert script.builds == [0, 4]  # the first build, then one once the table was still for a check
    assert "questionnaires.csv" in messages[0] and "figures.py" in messages[-1]


def test_the_warm_up_imports_are_the_templates_module_level_imports(tmp_path):
    first = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("import nothing from markdown"),
        nbformat.v4.new_code_cell("import pandas as pd\nfrom helpers.report import figures\nfrom helpers.data import reference\nx = 1"),
        nbformat.v4.new_code_cell("%matplotlib inline\nimport seaborn"),  # magics: not parsed
        nbformat.v4.new_code_cell("def f():\n    import networkx\n"),  # runs only when called
    ])
    second = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import pandas as pd\nimport scipy.stats")])
    nbformat.write(first, tmp_path / "a.ipynb")
    nbformat.write(second, tmp_path / "b.ipynb")
    (tmp_path / "c.ipynb").write_text("{ half-saved")
    paths = [tmp_path / name for name in ("a.ipynb", "b.ipynb", "c.ipynb")]
    assert template_imports(paths).splitlines() == [
        "import pandas as pd", "from helpers.report import figures", "from helpers.data import reference", "import scipy.stats"]


def test_the_sphinx_server_reports_a_failed_build_and_is_started_again_after_it_died(tmp_path):
    server = SphinxServer(tmp_path)
    log = tmp_path / "sphinx.log"
    try:
        missing = tmp_path / "missing"
        argv = [str(missing), "--config", str(missing / "_config.yml"), "--toc", str(missing / "_toc.yml"),
                "--out", str(tmp_path / "out")]
        assert server.build(argv, log) != 0
        assert "missing" in log.read_text()
        first = server.process.pid
        server.process.kill()
        server.process.wait()
        log.unlink()
        assert server.build(argv, log) != 0 and log.is_file()
        assert server.process.pid != first
    finally:
        server.close()
    assert server.process is None


class Watcher:
    """`linkbook watch` in a subprocess, its output collected line by line."""

    def __init__(self, project: Path):
        self.process = subprocess.Popen([sys.executable, "-m", "helpers", "watch", "--jobs", "2"], cwd=project,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=lambda: self.lines.extend(self.process.stdout), daemon=True)
        self.reader.start()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.reader.join(timeout=10)
        self.process.stdout.close()

    def wait_for_build(self, builds: int, timeout: float = 300) -> str:
        deadline = time.monotonic() + timeout
        while sum("Watching for changes" in line for line in self.lines) < builds:
            assert self.process.poll() is None, "".join(self.lines)
            assert time.monotonic() < deadline, "".join(self.lines)
            time.sleep(0.1)
        return "".join(self.lines)


@pytest.fixture(scope="module")
def small_dataset(tmp_path_factory):
    return write_dataset(tmp_path_factory.mktemp("data3"), n_sites=3, seed=12)


def test_watch_rebuilds_what_changed_like_a_fresh_run_survives_bad_data_and_stops_cleanly(tmp_path, small_dataset):
    (tmp_path / "watched").mkdir()
    project = make_project(tmp_path / "watched", small_dataset)
    watcher = Watcher(project)
    try:
        first = watcher.wait_for_build(1)
        assert "Built in" in first and (project / "_build" / "html" / "index.html").is_file()

        path = project / "data" / "synthetic" / "questionnaires.csv"
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        row = table.index[table["participant_id"].str.startswith("S2-")][0]
        table.loc[row, "ons_happy"] = str((int(table.loc[row, "ons_happy"]) + 3) % 11)
        table.to_csv(path, index=False, lineterminator="\n")
        second = watcher.wait_for_build(2)[len(first):]
        assert "Changed: questionnaires.csv" in second and "Built in" in second
        assert executed_jobs(project) == {"site-S2", "synthesis_outcomes", "synthesis_realist"}

        (tmp_path / "fresh").mkdir()
        fresh = make_project(tmp_path / "fresh", project / "data" / "synthetic")
        assert linkbook(fresh, "run", "--jobs", "2").returncode == 0
        assert results_bytes(project) == results_bytes(fresh)  # warm kernels across builds change nothing

        good_results = results_bytes(project)
        table.loc[row, "ons_happy"] = "11"
        table.to_csv(path, index=False, lineterminator="\n")
        third = watcher.wait_for_build(3)[len(first) + len(second):]
        assert "questionnaires.csv" in third and "ons_happy" in third and "Build failed (exit code 2)" in third
        assert "Traceback" not in third and results_bytes(project) == good_results

        helpers = descendants(watcher.process.pid)
        assert len(helpers) >= 5  # two workers, their kernels and the Sphinx server
        watcher.process.send_signal(signal.SIGINT)
        assert watcher.process.wait(timeout=60) == 0
        assert "Stopped watching" in "".join(watcher.lines)
        assert gone_within(helpers, 10)
    finally:
        watcher.close()
