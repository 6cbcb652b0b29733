"""Pandera schemas generated from the data contract (`helpers.data.contract`).

The schemas check parsed tables (see `helpers.validate`): blanks, allowed values,
ranges, identifier patterns and duplicate keys. Each check carries the rule in
words, which is what a researcher sees when a value breaks it.
"""

from __future__ import annotations

from functools import cache

import pandera.pandas as pa

from helpers.data.contract import CODE_PATTERN, TABLE_BY_NAME, Column, Table


def _checks(column: Column) -> list[pa.Check]:
    checks = []
    if column.allowed is not None:
        allowed = ", ".join(str(a) for a in column.allowed)
        checks.append(pa.Check.isin(list(column.allowed), error=f"must be one of: {allowed}"))
    if column.minimum is not None and column.maximum is not None:
        checks.append(pa.Check.in_range(column.minimum, column.maximum,
                                        error=f"must be between {column.minimum:g} and {column.maximum:g}"))
    elif column.minimum is not None:
        checks.append(pa.Check.ge(column.minimum, error=f"must be at least {column.minimum:g}"))
    if column.pattern is not None:
        what = "a dotted lower-case code such as holding.waiting" if column.pattern == CODE_PATTERN \
            else "an identifier of letters, digits, '_', '.' or '-'"
        checks.append(pa.Check.str_matches(column.pattern, error=f"must be {what}"))
    return checks


def _column_schema(column: Column) -> pa.Column:
    return pa.Column(
        checks=_checks(column),
        nullable=not column.required,
        unique=column.unique,
        report_duplicates="all",
        coerce=False,
    )


@cache
def schema_for(table_name: str) -> pa.DataFrameSchema:
    """The pandera schema of one contract table."""
    table: Table = TABLE_BY_NAME[table_name]
    composite_key = list(table.key) if len(table.key) > 1 else None
    return pa.DataFrameSchema(
        {c.name: _column_schema(c) for c in table.columns},
        unique=composite_key,
        report_duplicates="all",
        strict=False,  # extra columns in an export are ignored, not rejected
        name=table.file,
    )
