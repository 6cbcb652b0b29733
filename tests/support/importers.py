"""Helpers for the importer tests: run `linkbook import|export` in-process, pack project folders, read tables, validate."""

from __future__ import annotations

import argparse
import zipfile
from functools import cache

import pandas as pd
from lxml import etree

from helpers.cli.import_export import register

from support import FIXTURES

SCHEMA_FILE = FIXTURES / "refi-qda" / "Project-mrt2019.xsd"


def linkbook(*argv) -> int:
    """Run a command of `register` the way `linkbook` does: parse, then call the handler."""
    parser = argparse.ArgumentParser(prog="linkbook")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args([str(a) for a in argv])
    return args.func(args)


def pack(folder, out, skip=()):
    """Zip a hand-written project folder into a .qdpx file (files named in `skip` left out)."""
    with zipfile.ZipFile(out, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.name not in skip:
                archive.write(path, path.relative_to(folder).as_posix())
    return out


def zipped(out, files: dict):
    """A zip file holding `files` (archive name -> str or bytes)."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content.encode("utf-8") if isinstance(content, str) else content)
    return out


def rows(path) -> list[dict]:
    return pd.read_csv(path, dtype=str, keep_default_na=False).to_dict("records")


@cache
def _schema():
    return etree.XMLSchema(etree.parse(str(SCHEMA_FILE)))


def schema_problems(project, member="project.qde") -> list[str]:
    """What the official REFI-QDA schema (Project-mrt2019.xsd) finds wrong in a .qdpx's project file."""
    with zipfile.ZipFile(project) as archive:
        document = etree.fromstring(archive.read(member))
    schema = _schema()
    schema.validate(document)
    return [f"line {e.line}: {e.message}" for e in schema.error_log]
