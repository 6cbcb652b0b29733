"""Turn a text table into typed columns, reporting values that do not parse.

Blank cells become missing values; the schemas decide whether a blank is allowed.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from helpers.data.contract import DATE, INTEGER, NUMBER, Table
from helpers.data.problems import Problem

_INTEGER = re.compile(r"^[+-]?\d+(\.0+)?$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# C0 controls but tab, line feed and carriage return; DEL; bidirectional overrides and isolates.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def parse_date(text: str) -> dt.date | None:
    """A YYYY-MM-DD date, or None if the text is not a real calendar date."""
    if not _DATE.match(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _parse_value(kind: str, text: str):
    """(value, ok) for one non-blank cell."""
    if kind == INTEGER:
        if _INTEGER.match(text):
            return int(float(text)), True
        return None, False
    if kind == NUMBER:
        return (float(text), True) if _NUMBER.match(text) else (None, False)
    if kind == DATE:
        value = parse_date(text)
        return value, value is not None
    return text, True


_RULES = {
    INTEGER: "must be a whole number",
    NUMBER: "must be a number",
    DATE: "must be a real date written YYYY-MM-DD",
}


def parse_table(text: pd.DataFrame, table: Table) -> tuple[pd.DataFrame, list[Problem]]:
    """Typed copy of `text` (same index) and the cells that could not be parsed."""
    problems: list[Problem] = []
    typed = {}
    for column in table.columns:
        values = []
        for line, cell in text[column.name].items():
            if cell == "":
                values.append(None)
                continue
            value, ok = _parse_value(column.kind, cell)
            if not ok:
                problems.append(Problem(table.file, int(line), column.name, _RULES[column.kind], cell))
            control = _CONTROL.search(cell)
            if control:
                problems.append(Problem(table.file, int(line), column.name, f"contains the control character "
                                        f"U+{ord(control.group()):04X}, which a page cannot show (or which turns the text "
                                        "around): remove it", cell))
            values.append(value)
        typed[column.name] = _as_series(values, column.kind, text.index)
    return pd.DataFrame(typed, index=text.index), problems


def _as_series(values: list, kind: str, index: pd.Index) -> pd.Series:
    if kind == INTEGER:
        return pd.Series(values, index=index, dtype="Int64")
    if kind == NUMBER:
        return pd.Series(values, index=index, dtype="float64")
    if kind == DATE:
        return pd.to_datetime(pd.Series(values, index=index, dtype=object)).astype("datetime64[ns]")
    return pd.Series(values, index=index, dtype="str")
