"""The data dictionary, generated from the contract so book and code agree."""

from __future__ import annotations

import pandas as pd

from helpers.data.contract import METADATA, TABLES, Table


def table_dictionary(table: Table) -> pd.DataFrame:
    """One row per column: name, type, allowed values, meaning."""
    return pd.DataFrame(
        [(c.name, c.kind, c.rule_text(), c.meaning) for c in table.columns],
        columns=["column", "type", "allowed values", "meaning"],
    )


def _markdown_table(frame: pd.DataFrame) -> str:
    def cell(value) -> str:
        return str(value).replace("|", "\\|")

    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def dictionary_markdown(heading_level: int = 2) -> str:
    """The whole dictionary as MyST Markdown: dataset.yml, then every table."""
    h = "#" * heading_level
    parts = [
        f"{h} dataset.yml",
        "Describes the dataset as a whole.",
        _markdown_table(pd.DataFrame(
            [(key, "required" if required else "optional", meaning) for key, (meaning, required) in METADATA.items()],
            columns=["key", "status", "meaning"])),
    ]
    for table in TABLES:
        key = f" Each row is identified by {', '.join(table.key)}." if table.key else ""
        parts += [f"{h} {table.file}", table.meaning + key, _markdown_table(table_dictionary(table))]
    return "\n\n".join(parts) + "\n"


def tables_markdown() -> str:
    """A short list of the contract's files and what each holds."""
    rows = [(t.file, t.meaning) for t in TABLES]
    return _markdown_table(pd.DataFrame(rows, columns=["file", "what it holds"])) + "\n"
