"""The `linkbook` command line: synth, validate, dictionary, run, build, watch, import, export.

Exit codes: 0 success; 2 invalid input or usage; 1 a notebook or the book build failed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from pathlib import Path

from helpers.cli.import_export import register as register_importers
from helpers.data.problems import UsageError

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2
DEFAULT_DATA = "data/synthetic"


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def cmd_synth(args) -> int:
    from helpers.synth import write_dataset

    out = write_dataset(Path(args.out), n_sites=args.sites, seed=args.seed)
    print(f"Wrote a synthetic dataset of {args.sites} site(s), seed {args.seed}, to {out}")
    return EXIT_OK


def cmd_validate(args) -> int:
    from helpers.data.dataset import validate_dataset

    dataset, problems = validate_dataset(args.data)
    if problems:
        print(f"{args.data}: {len(problems)} problem(s) found; lines count the header as line 1.\n")
        for problem in problems:
            print(f"  {problem}")
        counts = Counter(p.file for p in problems)
        print("\nProblems by file: " + ", ".join(f"{f} {n}" for f, n in sorted(counts.items())))
        return EXIT_INVALID
    print(_summary(dataset))
    return EXIT_OK


def _summary(dataset) -> str:
    t = dataset.tables
    meta = dataset.metadata
    groups = t["participants"]["group"].value_counts()
    followed = t["questionnaires"].loc[t["questionnaires"]["wave"] == 2, "participant_id"].nunique()
    kind = "synthetic" if meta.synthetic else "real (not synthetic)"
    return "\n".join([
        f"{dataset.path}: valid. Dataset '{meta.name}', {kind}.",
        f"  sites {len(t['sites'])}; professionals {int(groups.drop('patient', errors='ignore').sum())} "
        f"(link workers {int(groups.get('link_worker', 0))}); patients {int(groups.get('patient', 0))}, "
        f"{followed} with a follow-up questionnaire",
        f"  interviews {len(t['interviews'])}; GP contacts {len(t['gp_contacts'])}; "
        f"observed activities {len(t['observations'])}",
        f"  coded segments {len(t['segments'])}; codings {len(t['codings'])}; codes {len(t['codebook'])}; "
        f"CMOCs {len(t['cmocs'])} with {len(t['cmoc_evidence'])} evidence links",
    ])


def cmd_dictionary(args) -> int:
    from helpers.data.dictionary import dictionary_markdown

    print(dictionary_markdown())
    return EXIT_OK


def _run(args, project, keep_going: bool, pool=None):
    """Run the pipeline; returns (report, exit code or None to continue)."""
    from helpers.pipeline.run import run_pipeline
    from helpers.data.problems import InvalidDataset

    args.data = _relative_to_project(args.data, project)
    try:
        report = run_pipeline(project, args.data, args.results, sites=args.site, workers=args.jobs,
                              scheduler=args.scheduler, force=args.force, keep_going=keep_going,
                              fresh_kernels=args.fresh_kernels, pool=pool)
    except InvalidDataset as err:
        print(err.report())
        return None, EXIT_INVALID
    return report, None


def _relative_to_project(path: str | None, project) -> str:
    """The dataset path as notebooks see it: relative to the project root when inside it."""
    if path is None:
        return DEFAULT_DATA
    absolute = Path(path).resolve()
    try:
        return str(absolute.relative_to(project.root))
    except ValueError:
        return str(absolute)


def _locked(command):
    """Run `command(args)` holding the project lock (one run or build per checkout at a time)."""
    def wrapper(args) -> int:
        from helpers.core.project import Project, exclusive

        try:
            project = Project.find()
        except FileNotFoundError as err:
            raise UsageError(f"{err}; run linkbook from the project directory") from None
        with exclusive(project):
            return command(args, project)
    return wrapper


@_locked
def cmd_run(args, project) -> int:
    report, code = _run(args, project, keep_going=False)
    if code is not None:
        return code
    return EXIT_FAILED if report.failed else EXIT_OK


@_locked
def cmd_build(args, project) -> int:
    from helpers.book.sphinx_build import SphinxServer

    sphinx = SphinxServer(project.root)
    sphinx.start()  # Sphinx's imports overlap the data checks and the notebooks
    try:
        return build(args, project, sphinx)
    finally:
        sphinx.close()


def build(args, project, sphinx, pool=None) -> int:
    """Run, then compile the book in the `sphinx` server; `linkbook watch` keeps it and the `pool` between builds."""
    from helpers.book.build import build_html, restore_interrupted_swap, write_generated_sources
    from helpers.data.dataset import load_dataset
    from helpers.report.disclosure import load_policy
    from helpers.book.pages import site_pages

    report, code = _run(args, project, keep_going=args.keep_going, pool=pool)
    if code is not None:
        return code
    if report.failed and not args.keep_going:
        print("Not building the book: fix the failing notebook(s) or use --keep-going.")
        return EXIT_FAILED
    restore_interrupted_swap(project)
    dataset = load_dataset(project.root / args.data)
    manifest = json.loads((project.root / args.results / "manifest.json").read_text(encoding="utf-8"))
    write_generated_sources(project, dataset, site_pages(project, dataset, report), manifest)
    policy = load_policy(project.root / "_config.yml", dataset.metadata.synthetic)
    code = build_html(project, sphinx, deny_list=_deny_list(args, project),
                      release_policy=None if dataset.metadata.synthetic else policy.statement(), jobs=args.jobs)
    if code != 0:
        return code
    return EXIT_FAILED if report.failed else EXIT_OK


def cmd_watch(args) -> int:
    """Build, then rebuild on every change, keeping kernels and a Sphinx server warm in between."""
    import signal
    import time

    from helpers.data.dataset import validate_dataset
    from helpers.pipeline.execute import WorkerPool
    from helpers.pipeline.kernels import template_imports
    from helpers.pipeline.templates import template_paths
    from helpers.core.project import Project, exclusive
    from helpers.book.sphinx_build import SphinxServer
    from helpers.book.watch import RESTART, project_inputs, watch

    try:
        project = Project.find()
    except FileNotFoundError as err:
        raise UsageError(f"{err}; run linkbook from the project directory") from None
    data = project.root / DEFAULT_DATA if args.data is None else Path(args.data).resolve()
    inputs = project_inputs(project, data, _deny_list(args, project))
    pool, sphinx = WorkerPool(args.jobs or os.cpu_count() or 1), SphinxServer(project.root)
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
        args.data = str(data)
        with exclusive(project):
            try:
                code = build(args, project, sphinx, pool)
            except UsageError as err:
                print(f"linkbook watch: {err}")
                code = EXIT_INVALID
        outcome = "Built" if code == EXIT_OK else f"Build failed (exit code {code})"
        print(f"{outcome} in {time.perf_counter() - started:.1f} s. Watching for changes; Ctrl-C stops.",
              flush=True)

    try:
        result = watch(inputs, build_once, interval=args.interval)
    except KeyboardInterrupt:
        print("\nStopping: running notebooks finish, nothing unfinished is published.", flush=True)
        result = None
    finally:
        pool.close()
        sphinx.close()
    if result == RESTART:
        sys.stdout.flush()
        os.execv(sys.executable, [sys.executable, "-m", "helpers", *sys.argv[1:]])
    print("Stopped watching.")
    return EXIT_OK


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
    return value


def _deny_list(args, project) -> Path | None:
    """The deny-list of names for the privacy guard: --deny-list or $LINKBOOK_DENY_LIST, kept outside the project."""
    given = args.deny_list or os.environ.get("LINKBOOK_DENY_LIST")
    if not given:
        return None
    path = Path(given).resolve()
    if not path.is_file():
        raise UsageError(f"deny-list {path} does not exist")
    if path.is_relative_to(project.root):
        raise UsageError(f"deny-list {path} is inside the project; keep it outside the repository so it is never "
                         "committed or published")
    return path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="linkbook", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    synth = sub.add_parser("synth", help="write a synthetic dataset")
    synth.add_argument("--out", required=True, help="directory to write (created if missing)")
    synth.add_argument("--sites", type=_positive_int, default=7, help="number of sites (default 7)")
    synth.add_argument("--seed", type=int, default=None, help="random seed (default: the seed of data/synthetic)")
    synth.set_defaults(func=cmd_synth)

    validate = sub.add_parser("validate", help="check a dataset against the data contract")
    validate.add_argument("--data", default=DEFAULT_DATA, help=f"dataset directory (default {DEFAULT_DATA})")
    validate.set_defaults(func=cmd_validate)

    dictionary = sub.add_parser("dictionary", help="print the data dictionary as Markdown")
    dictionary.set_defaults(func=cmd_dictionary)

    for name, func, text in (("run", cmd_run, "execute the analysis notebooks whose inputs changed"),
                             ("build", cmd_build, "run, then compile the book to _build/html")):
        command = sub.add_parser(name, help=text)
        command.add_argument("--data", default=None, help=f"dataset directory (default {DEFAULT_DATA} of the project)")
        command.add_argument("--site", action="append", metavar="ID", help="run only this site (repeatable)")
        command.add_argument("--jobs", type=_positive_int, default=None,
                             help="parallel notebooks, and Sphinx processes for the book (default: CPU count)")
        command.add_argument("--scheduler", metavar="ADDRESS", help="send jobs to this Dask distributed scheduler")
        command.add_argument("--force", action="store_true", help="run every notebook, even unchanged ones")
        command.add_argument("--results", default="results", help="results directory (default results)")
        command.add_argument("--fresh-kernels", action="store_true",
                             help="start a new kernel for every notebook instead of reusing each worker's kernel")
        if name == "build":
            command.add_argument("--keep-going", action="store_true",
                                 help="build the book even if some notebooks fail (they are marked as failed)")
            command.add_argument("--deny-list", metavar="FILE",
                                 help="names the privacy guard must refuse (one per line; keep it outside the "
                                      "repository; default $LINKBOOK_DENY_LIST)")
        command.set_defaults(func=func)
    watch = sub.add_parser("watch", help="build, then rebuild whenever the data, notebooks or chapters change")
    watch.add_argument("--data", default=None, help=f"dataset directory (default {DEFAULT_DATA} of the project)")
    watch.add_argument("--jobs", type=_positive_int, default=None, help="parallel notebooks (default: CPU count)")
    watch.add_argument("--results", default="results", help="results directory (default results)")
    watch.add_argument("--keep-going", action="store_true", help="build the book even if some notebooks fail")
    watch.add_argument("--deny-list", metavar="FILE", help="as for build")
    watch.add_argument("--interval", type=_positive_float, default=0.25,
                       help="seconds between checks for changed files (default 0.25)")
    watch.set_defaults(func=cmd_watch, site=None, scheduler=None, force=False, fresh_kernels=False)
    register_importers(sub)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "seed", 0) is None:
        from helpers.synth import DEFAULT_SEED

        args.seed = DEFAULT_SEED
    try:
        return args.func(args)
    except UsageError as err:
        print(f"linkbook {args.command}: {err}", file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # last resort: never show a traceback for input we did not foresee
        if os.environ.get("LINKBOOK_DEBUG"):
            raise
        print(f"linkbook {args.command}: unexpected error: {type(err).__name__}: {err}\n"
              "This is a bug in linkbook, not in your data; set LINKBOOK_DEBUG=1 to see the traceback.",
              file=sys.stderr)
        return EXIT_FAILED
