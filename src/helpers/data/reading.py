"""Read one contract CSV file as text, reporting what stops it being read.

Every value is kept as a string so that validation can show the offending
value exactly as it appears in the file.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from helpers.data.contract import Table
from helpers.data.problems import Problem

MAX_LINE_BYTES = 4 * 1024 * 1024  # one physical line of a contract CSV file (a segment's text is far shorter)
MAX_FIELD_CHARS = MAX_LINE_BYTES  # one field, quoted line breaks included
_BLOCK = 1024 * 1024


def read_text_table(path: Path, table: Table) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Return the table as strings indexed by file line number, and the problems."""
    name = table.file
    if not path.is_file():
        return None, [Problem(name, None, None, "file is missing (every contract table is required, even if it has only a header)")]
    too_long = _overlong_line(path)
    if too_long is not None:
        return None, [Problem(name, too_long, None, f"line is longer than {MAX_LINE_BYTES // 1024 // 1024} MiB: "
                                                    "this is not a table of the data contract (check the export)")]
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, _encoding_problems(raw, table)
    if not text.strip():
        return None, [Problem(name, None, None, "file is empty: it needs at least a header row")]

    csv.field_size_limit(MAX_FIELD_CHARS)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    problems: list[Problem] = []
    try:
        header = [h.strip() for h in next(reader)]
        rows, lines = [], []
        for fields in reader:
            if not any(f.strip() for f in fields):
                continue  # blank line
            if len(fields) != len(header):
                problems.append(Problem(name, reader.line_num, None,
                                        f"row has {len(fields)} fields but the header has {len(header)}"))
                continue
            rows.append([f.strip() for f in fields])
            lines.append(reader.line_num)
    except csv.Error as err:
        if "field limit" in str(err):
            return None, [Problem(name, reader.line_num, None, f"a field is longer than {MAX_FIELD_CHARS // 1024 // 1024} "
                                                               "MiB (an unclosed quote?)")]
        return None, [Problem(name, reader.line_num, None, f"file is not valid CSV: {err}")]

    header_problems: list[Problem] = []
    seen = set()
    for col in header:
        if col in seen:
            header_problems.append(Problem(name, 1, col, "column appears more than once in the header"))
        seen.add(col)
    for col in table.column_names:
        if col not in seen and not table.column(col).optional:
            header_problems.append(Problem(name, 1, col, "required column is missing from the header"))
    if header_problems:
        return None, header_problems + problems
    frame = pd.DataFrame(rows, columns=header, index=pd.Index(lines, name="line"), dtype=object)
    for col in table.column_names:
        if col not in seen:  # an optional column left out reads as blank
            frame[col] = ""
    return frame[table.column_names], problems


def _overlong_line(path: Path) -> int | None:
    """The number of the first line longer than MAX_LINE_BYTES, read in blocks (memory stays
    bounded however long the line); None when every line is short enough."""
    line, length = 1, 0
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK):
            start = 0
            while (end := block.find(b"\n", start)) >= 0:
                if length + end - start > MAX_LINE_BYTES:
                    return line
                line, length, start = line + 1, 0, end + 1
            length += len(block) - start
            if length > MAX_LINE_BYTES:
                return line
    return None


_NOT_UTF8 = "text is not UTF-8 (re-export the file as 'CSV UTF-8')"


def _encoding_problems(raw: bytes, table: Table) -> list[Problem]:
    """Locate every cell holding bytes that are not UTF-8."""
    text = raw.decode("utf-8-sig", errors="surrogateescape")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, [])
    problems = []
    for fields in reader:
        for column, cell in zip(header, fields):
            if any("\udc80" <= ch <= "\udcff" for ch in cell):
                shown = cell.encode("utf-8", errors="surrogateescape")
                problems.append(Problem(table.file, reader.line_num, column.strip(), _NOT_UTF8, shown))
    return problems or [Problem(table.file, 1, None, _NOT_UTF8)]
