"""How every table reaches a reader: one header row with a name in every cell, human labels,
no column that is the same in every row, and notes written once under the table.

`reader_styler` is the last step of `disclosure.publish`; `show_frames_as_reader_tables`
makes a notebook display plain DataFrames the same way.
"""

from __future__ import annotations

from html import escape

import pandas as pd

from helpers.report.labels import readable_label

NOTE_COLUMNS = ("note", "notes")
ROW_NAME = "row"  # the header of an unnamed index


def _label_values(column: pd.Series) -> pd.Series:
    if not (column.dtype == object or pd.api.types.is_string_dtype(column)):
        return column
    return column.map(lambda v: readable_label(v) if isinstance(v, str) else v)


def reader_frame(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The frame as a reader sees it, and its notes: the index becomes named columns, codes
    become labels, a note column becomes numbered notes, constant columns become one note."""
    table = frame.copy()
    if isinstance(table.columns, pd.MultiIndex):
        table.columns = [" ".join(str(p) for p in parts if str(p)) for parts in table.columns]
    if isinstance(table.index, pd.RangeIndex) and table.index.name is None:
        table = table.reset_index(drop=True)
    else:
        names = [name if name is not None else (ROW_NAME if table.index.nlevels == 1 else f"{ROW_NAME} {i + 1}")
                 for i, name in enumerate(table.index.names)]
        table = table.rename_axis(names).reset_index()
    notes: list[str] = []
    for column in [c for c in table.columns if str(c).lower() in NOTE_COLUMNS]:
        texts = table[column].where(table[column].astype(str).str.strip() != "")
        distinct = list(dict.fromkeys(texts.dropna().astype(str)))
        if len(distinct) == 1 and texts.notna().all():
            notes.append(distinct[0])
            table = table.drop(columns=column)
        else:
            start = len(notes) + 1
            notes += [f"[{start + i}] {text}" for i, text in enumerate(distinct)]
            marker = {text: f"[{start + i}]" for i, text in enumerate(distinct)}
            table[column] = texts.map(lambda t: marker.get(str(t), "") if pd.notna(t) else "")
    if len(table) > 1:
        constant = [c for c in table.columns if table[c].astype(str).nunique(dropna=False) == 1
                    and str(c).lower() not in NOTE_COLUMNS]
        constant = constant[: max(len(table.columns) - 1, 0)]  # a table keeps at least one column
        for column in constant:
            notes.append(f"In every row, {readable_label(column)}: {readable_label(table[column].iloc[0])}.")
        table = table.drop(columns=constant)
    table = table.apply(_label_values)
    table.columns = [readable_label(c) for c in table.columns]
    return table, notes


def reader_styler(frame: pd.DataFrame, css_class: str | None = None):
    """The frame as an HTML table for readers (a Styler; values escaped, never parsed as HTML)."""
    table, notes = reader_frame(frame)
    styler = table.style.hide(axis="index").format(
        lambda v: v if isinstance(v, str) else (f"{v:.2f}" if isinstance(v, float) else v), na_rep="",
        escape="html").format_index(escape="html", axis=1)  # headers can be data (site ids, regions)
    if css_class:
        styler = styler.set_table_attributes(f'class="{css_class}"')
    if notes:
        styler = styler.set_caption("Notes: " + " ".join(escape(n) for n in notes))
    return styler


_numbers = {"tables": 0}


def reset_table_numbers() -> None:
    """Start a page's table numbers at 1 (a kernel can run several notebooks)."""
    _numbers["tables"] = 0


def captioned_table(table, caption: str):
    """`table` (a DataFrame, or a Styler from `reader_styler` or `disclosure.publish`) numbered and
    captioned: 'Table 3: caption', its notes after the caption."""
    styler = table if hasattr(table, "set_caption") and not isinstance(table, pd.DataFrame) else reader_styler(table)
    _numbers["tables"] += 1
    notes = getattr(styler, "caption", None)
    text = f"<strong>Table {_numbers['tables']}:</strong> {escape(caption)}"
    return styler.set_caption(text + (f'<br><span class="table-notes">{notes}</span>' if notes else ""))


def show_frames_as_reader_tables() -> None:
    """In a notebook, display every plain DataFrame as `reader_styler` shows it."""
    try:
        from IPython import get_ipython
    except ImportError:  # outside Jupyter: nothing to configure
        return
    shell = get_ipython()
    if shell is not None:
        shell.display_formatter.formatters["text/html"].for_type(
            pd.DataFrame, lambda frame: reader_styler(frame).to_html())
