"""`python -m helpers.sphinx_build`: jupyter-book's HTML build, with Sphinx's parallel jobs.

`jupyter-book build` has no option for Sphinx's `-j`; this calls the same
`build_sphinx` entry point with the same settings as
`jupyter-book build ROOT --config C --toc T --path-output OUT -W -n --keep-going -q`,
plus `jobs`. Run as a subprocess so that Sphinx's state never lives in the caller.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.sphinx_build")
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


if __name__ == "__main__":
    sys.exit(main())
