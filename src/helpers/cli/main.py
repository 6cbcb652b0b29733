"""The `linkbook` command line: synth, validate, dictionary, run, build, watch, cache, import, export.

Exit codes: 0 success; 2 invalid input or usage; 1 a notebook or the book build failed.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from pathlib import Path

from helpers.cli.import_export import register as register_importers
from helpers.core.exits import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_INVALID, EXIT_OK
from helpers.data.problems import UsageError
from helpers.pipeline.cache import DEFAULT_MAX_AGE_DAYS, DEFAULT_MAX_SIZE_MB
from helpers.pipeline.options import DEFAULT_DATA


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def cmd_synth(args) -> int:
    from helpers.synth import DEFAULT_SEED, write_dataset

    seed = DEFAULT_SEED if args.seed is None else args.seed
    out = write_dataset(Path(args.out), n_sites=args.sites, seed=seed, scenario=args.scenario)
    scenario = " (null scenario: no planted change)" if args.scenario == "null" else ""
    print(f"Wrote a synthetic dataset of {args.sites} site(s), seed {seed}{scenario}, to {out}")
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


def _project():
    from helpers.core.project import Project

    try:
        return Project.find()
    except FileNotFoundError as err:
        raise UsageError(f"{err}; run linkbook from the project directory") from None


def _options(args, project):
    """The parsed arguments as BuildOptions; the namespace itself is never changed."""
    from helpers.book.privacy import resolve_deny_list
    from helpers.pipeline.options import BuildOptions, dataset_path

    return BuildOptions(
        data=dataset_path(args.data, project.root), results=args.results,
        sites=tuple(args.site) if getattr(args, "site", None) else None, jobs=args.jobs,
        scheduler=getattr(args, "scheduler", None), force=getattr(args, "force", False),
        fresh_kernels=getattr(args, "fresh_kernels", False), keep_going=getattr(args, "keep_going", False),
        deny_list=resolve_deny_list(getattr(args, "deny_list", None), project.root),
    )


def cmd_run(args) -> int:
    from helpers.book.build import run_notebooks
    from helpers.core.project import exclusive

    project = _project()
    with exclusive(project):
        return run_notebooks(project, _options(args, project))[1]


def cmd_build(args) -> int:
    from helpers.book.build import build_book
    from helpers.book.sphinx_build import SphinxServer
    from helpers.core.project import exclusive

    project = _project()
    options = _options(args, project)
    with exclusive(project):
        sphinx = SphinxServer(project.root)
        sphinx.start()  # Sphinx's imports overlap the data checks and the notebooks
        try:
            code = build_book(project, options, sphinx)
        finally:
            sphinx.close()
        return _print_pdf(project) if code == EXIT_OK and args.pdf else code


def _print_pdf(project) -> int:
    from helpers.book.pdf import PDF_NAME, PdfUnavailable, write_book_pdf

    try:
        out = write_book_pdf(project.build / "html", project.generated / "_toc.yml", project.build / "pdf" / PDF_NAME)
    except PdfUnavailable as err:
        print(f"linkbook build --pdf: the HTML book is built, but not the PDF: {err}", file=sys.stderr)
        return EXIT_FAILED
    print(f"PDF written to {out.relative_to(project.root)}")
    return EXIT_OK


def cmd_watch(args) -> int:
    from helpers.book.watch import RESTART, watch_book

    project = _project()
    if watch_book(project, _options(args, project), interval=args.interval) == RESTART:
        sys.stdout.flush()
        os.execv(sys.executable, [sys.executable, "-m", "helpers", *sys.argv[1:]])
    print("Stopped watching.")
    return EXIT_OK


def cmd_lab(args) -> int:
    """Open the notebook templates in JupyterLab, MyST Markdown files opening as notebooks."""
    from helpers.cli.lab import open_lab

    return open_lab(_project(), port=args.port, browser=not args.no_browser)


def cmd_cache_prune(args) -> int:
    from helpers.pipeline.cache import ExecutionStore

    report = ExecutionStore(_project().cache).prune(args.max_age, args.max_size)
    print(f"Removed {report.removed} stored notebook run(s) ({report.removed_bytes / 1e6:.1f} MB); "
          f"kept {report.kept} ({report.kept_bytes / 1e6:.1f} MB).")
    return EXIT_OK


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="linkbook", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    synth = sub.add_parser("synth", help="write a synthetic dataset")
    synth.add_argument("--out", required=True, help="directory to write (created if missing)")
    synth.add_argument("--sites", type=_positive_int, default=7, help="number of sites (default 7)")
    synth.add_argument("--seed", type=int, default=None, help="random seed (default: the seed of data/synthetic)")
    synth.add_argument("--scenario", choices=("planted", "null"), default="planted",
                       help="planted effects (default) or null: no change beyond regression to the mean")
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
            command.add_argument("--pdf", action="store_true",
                                 help="also print the book to _build/pdf/book.pdf with the installed Chromium (offline)")
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
    watch.set_defaults(func=cmd_watch)
    lab = sub.add_parser("lab", help="open the notebook templates in JupyterLab (MyST Markdown as notebooks)")
    lab.add_argument("--port", type=_positive_int, default=8888, help="port on localhost (default 8888)")
    lab.add_argument("--no-browser", action="store_true", help="do not open a web browser")
    lab.set_defaults(func=cmd_lab)
    cache = sub.add_parser("cache", help="manage the store of executed notebooks")
    cache_sub = cache.add_subparsers(dest="cache_command", required=True)
    prune = cache_sub.add_parser("prune", help="remove stored notebook runs by age, then by size")
    prune.add_argument("--max-age", type=_positive_float, default=DEFAULT_MAX_AGE_DAYS, metavar="DAYS",
                       help=f"remove runs unused for this many days (default {DEFAULT_MAX_AGE_DAYS:g})")
    prune.add_argument("--max-size", type=_positive_float, default=DEFAULT_MAX_SIZE_MB, metavar="MB",
                       help="then remove the least recently used until the store is at most this size "
                            f"(default {DEFAULT_MAX_SIZE_MB:g}; every run applies both defaults)")
    prune.set_defaults(func=cmd_cache_prune)
    register_importers(sub)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except UsageError as err:
        print(f"linkbook {args.command}: {err}", file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as err:  # last resort: never show a traceback for input we did not foresee
        from helpers.core.files import storage_message

        message = storage_message(err) if isinstance(err, OSError) else None
        if message is not None:  # a folder not writable, a full disk: the user can fix it
            print(f"linkbook {args.command}: {message}", file=sys.stderr)
            return EXIT_INVALID
        if os.environ.get("LINKBOOK_DEBUG"):
            raise
        print(f"linkbook {args.command}: unexpected error: {type(err).__name__}: {err}\n"
              "This is a bug in linkbook, not in your data; set LINKBOOK_DEBUG=1 to see the traceback.",
              file=sys.stderr)
        return EXIT_FAILED
