"""Write imported tables in the contract format: contract column order, UTF-8, `\\n` line ends.

Blank cells are missing values. With `merge`, rows are combined by the table's key with a
table already in the output directory: blanks are filled, differing values are problems.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

from helpers.data.contract import DATE, TABLE_BY_NAME, Column
from helpers.data.reading import read_text_table
from helpers.importers import ImportFailed
from helpers.data.problems import Problem

_DATE_PREFIX = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ]\d.*|Z|[+-]\d{2}:\d{2})$")


def contract_value(column: Column, text) -> str:
    """`text` as a contract cell: stripped; the date part of a date-time for date columns."""
    text = "" if text is None else str(text).strip()
    if column.kind == DATE:
        match = _DATE_PREFIX.match(text)
        if match:
            return match.group(1)
    return text


def frame(table_name: str, rows: list[dict]) -> pd.DataFrame:
    """Rows of text cells as a table with the contract's columns (an optional column only when a row fills it)."""
    columns = [c.name for c in TABLE_BY_NAME[table_name].columns
               if not c.optional or any(str(row.get(c.name) or "").strip() for row in rows)]
    return pd.DataFrame([[row.get(c, "") for c in columns] for row in rows], columns=columns, dtype=object)


def write_tables(out: Path, frames: dict[str, pd.DataFrame], merge: bool = False, dry_run: bool = False) -> list[str]:
    """Write every table; returns one line per file written. Merge conflicts stop before any write.

    With `dry_run` nothing is written (not even the directory): the lines say what would be.
    """
    out = Path(out)
    if merge:
        merged, problems = {}, []
        for name, table in frames.items():
            merged[name], found = _merge(out, name, table)
            problems += found
        if problems:
            raise ImportFailed(problems)
        frames = merged
    if dry_run:
        return [f"{out / TABLE_BY_NAME[name].file} ({len(table)} rows)" for name, table in frames.items()]
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ImportFailed([Problem(str(out), None, None, f"cannot create the output directory: {err.strerror}")]) from None
    written = []
    for name, table in frames.items():
        path = out / TABLE_BY_NAME[name].file
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_bytes(table.to_csv(index=False, lineterminator="\n").encode("utf-8"))
            os.replace(tmp, path)
        except OSError as err:
            raise ImportFailed([Problem(str(path), None, None, f"cannot write the file: {err.strerror}")]) from None
        written.append(f"{path} ({len(table)} rows)")
    return written


def _merge(out: Path, name: str, new: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    table = TABLE_BY_NAME[name]
    path = out / table.file
    if not path.is_file():
        return new, []
    old, problems = read_text_table(path, table)
    if old is None:
        return new, problems
    rows = {tuple(r[k] for k in table.key): dict(r, _line=line) for line, r in old.to_dict("index").items()}
    for record in new.to_dict("records"):
        key = tuple(record[k] for k in table.key)
        if key not in rows:
            rows[key] = record
            continue
        kept = rows[key]
        for column, value in record.items():
            if value and not kept[column]:
                kept[column] = value
            elif value and kept[column] != value:
                problems.append(Problem(table.file, kept.get("_line"), column,
                                        f"already holds a different value; the import has {value!r}", kept[column]))
    return frame(name, list(rows.values())), problems
