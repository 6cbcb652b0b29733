"""`linkbook watch`: build the book, then build it again whenever one of its inputs changes.

Between builds the worker processes keep their kernels (pandas, SciPy,
statsmodels and the rest imported) and a Sphinx server keeps jupyter-book
imported, so a rebuild pays only for the notebooks and pages that changed.
Inputs are polled rather than watched through file-system events, which the
network drives of secure research environments often do not deliver.

A change to any of the helpers source (the watcher runs the pipeline and book layers
too, not only what notebooks import), the reference tables or requirements.lock
restarts the watcher instead: its own code, its kernels and its Sphinx server
would otherwise go on running the old version.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass, replace
from pathlib import Path
from stat import S_ISREG

from helpers.core.exits import EXIT_INVALID, EXIT_OK
from helpers.core.hashing import PACKAGE
from helpers.core.project import Project, exclusive
from helpers.data.problems import UsageError
from helpers.data.reference import reference_dir
from helpers.pipeline.options import BuildOptions

RESTART = "restart"
IGNORED_DIRS = {"__pycache__", ".ipynb_checkpoints"}


@dataclass(frozen=True)
class Inputs:
    rebuild: tuple[Path, ...]  # files and folders whose change starts a new build
    restart: tuple[Path, ...]  # ... and those whose change restarts the watcher
    ignore: tuple[Path, ...]  # folders the build itself writes into


def project_inputs(project: Project, data_dir: Path, deny_list: Path | None = None) -> Inputs:
    """What a build reads: the dataset, templates, chapters, configuration and deny-list;
    and the code it runs: the helpers package, reference tables and locked versions."""
    root = project.root
    rebuild = (data_dir, project.notebooks, root / "book", root / "_static", root / "_config.yml", root / "_toc.yml")
    return Inputs(rebuild=rebuild + ((deny_list,) if deny_list else ()),
                  restart=(PACKAGE, reference_dir(), project.lock_file), ignore=(project.generated,))


def snapshot(roots, ignore=()) -> dict[str, tuple[int, int]]:
    """Modification time and size of every file under `roots` (files or folders), by path.

    Skipped: the folders in `ignore`, caches (__pycache__, notebook checkpoints) and
    hidden or backup files, such as an editor's swap files.
    """
    state = {}
    ignore = {Path(p).resolve() for p in ignore}
    for root in roots:
        root = Path(root).resolve()
        paths = [root] if root.is_file() else sorted(root.rglob("*")) if root.is_dir() else []
        for path in paths:
            if (path.name.startswith(".") or path.name.endswith("~")
                    or IGNORED_DIRS.intersection(path.parts) or any(path.is_relative_to(i) for i in ignore)):
                continue
            try:
                stat = path.stat()
            except FileNotFoundError:  # removed since it was listed, like an editor's test file
                continue
            if S_ISREG(stat.st_mode):
                state[str(path)] = (stat.st_mtime_ns, stat.st_size)
    return state


def changed(before: dict, after: dict) -> list[str]:
    """Paths added, removed or modified between two snapshots."""
    return sorted(set(before) ^ set(after) | {p for p in before.keys() & after.keys() if before[p] != after[p]})


def touches(paths: list[str], roots) -> bool:
    """Whether any of `paths` is one of `roots` or lies under one."""
    resolved = [Path(r).resolve() for r in roots]
    return any(Path(p).is_relative_to(r) for p in paths for r in resolved)


SETTLE = 0.1  # seconds the files must stay unchanged before a build starts


def watch(inputs: Inputs, build, interval: float = 0.25, out=print, sleep=time.sleep) -> str:
    """Call `build()`, then again after every change to `inputs`, until a change to
    `inputs.restart` (returns RESTART). A change is acted on once the files have
    been still for SETTLE seconds, so a save in several writes gives one build."""
    roots = inputs.rebuild + inputs.restart
    state = snapshot(roots, inputs.ignore)
    build()
    while True:
        sleep(interval)
        current = snapshot(roots, inputs.ignore)
        if current == state:
            continue
        while True:  # let a save, or a copy of several files, finish
            sleep(min(interval, SETTLE))
            settled = snapshot(roots, inputs.ignore)
            if settled == current:
                break
            current = settled
        changes, state = changed(state, current), current
        if touches(changes, inputs.restart):
            out(f"Changed: {_names(changes)}; the code changed, so the watcher restarts.")
            return RESTART
        out(f"\nChanged: {_names(changes)}")
        build()


def _names(paths: list[str], shown: int = 3) -> str:
    names = [Path(p).name for p in paths]
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def watch_book(project: Project, options: BuildOptions, interval: float = 0.25) -> str | None:
    """`linkbook watch`: build, then rebuild on every change, keeping the worker kernels and a
    Sphinx server warm in between. Returns RESTART when the code changed (the caller
    re-executes itself) and None when stopped by Ctrl-C or SIGTERM."""
    from helpers.book.build import build_book
    from helpers.book.sphinx_build import SphinxServer
    from helpers.data.dataset import validate_dataset
    from helpers.pipeline.execute import WorkerPool
    from helpers.pipeline.kernels import template_imports
    from helpers.pipeline.templates import template_paths

    data = (project.root / options.data).resolve()
    options = replace(options, data=str(data))  # as the notebooks see it, wherever the watcher was started
    inputs = project_inputs(project, data, options.deny_list)
    pool, sphinx = WorkerPool(options.jobs or os.cpu_count() or 1), SphinxServer(project.root)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started in the background
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop in order when a session ends

    warm_up_log = project.cache / "kernel-warm-up.log"  # kernels' start-up messages, this session's only
    warm_up_log.parent.mkdir(parents=True, exist_ok=True)
    warm_up_log.write_bytes(b"")
    pool.warm(project.root, template_imports(template_paths(project.notebooks)), warm_up_log)
    sphinx.start()
    validate_dataset(data)  # meanwhile: a rebuild's first check of the data pays one-off set-up (about 0.3 s)

    def build_once() -> None:
        started = time.perf_counter()
        with exclusive(project):
            try:
                code = build_book(project, options, sphinx, pool)
            except UsageError as err:
                print(f"linkbook watch: {err}")
                code = EXIT_INVALID
        outcome = "Built" if code == EXIT_OK else f"Build failed (exit code {code})"
        print(f"{outcome} in {time.perf_counter() - started:.1f} s. Watching for changes; Ctrl-C stops.", flush=True)

    try:
        return watch(inputs, build_once, interval=interval)
    except KeyboardInterrupt:
        print("\nStopping: running notebooks finish, nothing unfinished is published.", flush=True)
        return None
    finally:
        pool.close()
        sphinx.close()

