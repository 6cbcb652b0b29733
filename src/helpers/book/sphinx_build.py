"""`python -m helpers.book.sphinx_build`: jupyter-book's HTML build, with Sphinx's parallel jobs.

`jupyter-book build` has no option for Sphinx's `-j`; this calls the same
`build_sphinx` entry point with the same settings as
`jupyter-book build ROOT --config C --toc T --path-output OUT -W -n --keep-going -q`,
plus `jobs`. Run as a subprocess so that Sphinx's state never lives in the caller.

`--serve` imports Sphinx, jupyter-book and their extensions once (about 1.3 s), then
runs each build in a child forked from it, so no Sphinx state carries over from one
build to the next. `linkbook build` starts the server first, so that its imports
overlap the data checks and notebooks; `linkbook watch` keeps it between builds.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import subprocess
import sys
import traceback
from pathlib import Path

# What a jupyter-book HTML build imports; a module missing here is imported by the build itself.
PRELOAD = (
    "jupyter_book.sphinx", "sphinx.application", "sphinx.builders.html", "sphinx.search.en",
    "myst_parser.sphinx_ext.main", "myst_nb.sphinx_ext", "jupyter_cache.cache.main", "sphinx_book_theme",
    "sphinxcontrib.bibtex", "sphinx_design", "sphinx_copybutton", "sphinx_togglebutton",
    "sphinx_external_toc", "sphinx_multitoc_numbering", "sphinx_jupyterbook_latex", "sphinx_comments",
    "sphinx_thebe", "helpers.book.sphinx_ext",
)


def run_jupyter_book(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.book.sphinx_build")
    parser.add_argument("source", type=Path)
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--toc", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True, help="HTML goes to OUT/_build/html")
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args(argv)

    from jupyter_book.sphinx import build_sphinx

    result = build_sphinx(
        args.source.resolve(), args.out.resolve() / "_build" / "html", noconfig=True,
        path_config=str(args.config), builder="html", warningiserror=True, keep_going=True,
        quiet=True, jobs=args.jobs,
        confoverrides={"external_toc_path": args.toc.as_posix(), "latex_individualpages": False,
                       "nitpicky": True},
    )
    return 0 if result == 0 else 1


def serve() -> int:
    """Answer build requests on stdin, one JSON line each ({"argv": [...], "log": path}),
    with one JSON line on stdout: the build's exit code. Its output goes to `log`."""
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:  # not installed: the build reports it, if the configuration needs it
            pass
    print(json.dumps("ready"), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _build_in_child(request["argv"], request["log"])
        _, status = os.waitpid(pid, 0)
        print(json.dumps(os.waitstatus_to_exitcode(status)), flush=True)
    return 0


def _build_in_child(argv: list[str], log: str) -> None:
    """Run one build in this forked child, its output (never the server's replies) to `log`."""
    code = 1
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    try:
        descriptor = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(descriptor, 1)
        os.dup2(descriptor, 2)
        code = run_jupyter_book(argv)
    except BaseException:  # noqa: BLE001 - anything, SystemExit included, ends this child only
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


class SphinxServer:
    """A `--serve` process, started again if it died."""

    def __init__(self, cwd: Path):
        self.cwd = cwd
        self.process: subprocess.Popen | None = None
        self.ready = False

    def start(self) -> None:
        """Start the server now, so that its imports overlap other work."""
        if self.process is not None and self.process.poll() is not None:
            self.close()  # it stopped: collect it and its pipes
        if self.process is None:
            # Its own session: Ctrl-C in the terminal goes to linkbook, which stops the server.
            self.process = subprocess.Popen(
                [sys.executable, "-m", "helpers.book.sphinx_build", "--serve"], cwd=self.cwd, text=True,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True)
            self.ready = False

    def build(self, argv: list[str], log: Path) -> int:
        """Run one build (the arguments of `main`), its output written to `log`; the exit code.
        A server that died is started again once."""
        for _ in range(2):
            self.start()
            try:
                if not self.ready:
                    self.ready = self._read() == "ready"
                self.process.stdin.write(json.dumps({"argv": argv, "log": str(log)}) + "\n")
                self.process.stdin.flush()
                return int(self._read())
            except (BrokenPipeError, EOFError, ValueError):
                self.close()
        log.write_text("The Sphinx build server stopped twice; see the messages above.\n", encoding="utf-8")
        return 1

    def _read(self):
        line = self.process.stdout.readline()
        if not line:
            raise EOFError("the Sphinx build server stopped")
        return json.loads(line)

    def close(self) -> None:
        """Stop the server: an idle one ends when its input closes; one still importing
        or building is killed."""
        if self.process is None:
            return
        if not self.ready:
            self._kill()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except BrokenPipeError:  # it had already stopped
                pass
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self._kill()
            self.process.wait()
        self.process = None

    def _kill(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # the server and the build it may be running
        except ProcessLookupError:  # already gone
            pass


if __name__ == "__main__":
    sys.exit(serve() if sys.argv[1:] == ["--serve"] else run_jupyter_book())
