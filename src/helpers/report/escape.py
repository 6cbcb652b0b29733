"""Data values made literal for where they are published: the one place that escapes them.

Every value from a dataset, an import or a mapping file is untrusted text. Before
it reaches a generated page it passes through the function for its target:

- `markdown_text`: MyST Markdown inline text (headings, paragraphs, list items).
  Every ASCII punctuation character becomes a numeric character reference
  (`{` -> `&#123;`), which CommonMark decodes back to the same character as plain
  text. No `{{`, `{%`, role, directive, fence, link, emphasis, math, HTML tag or
  table pipe survives, so neither Jinja (MyST's substitution extension), MyST,
  reStructuredText nor HTML can read the value, and the reader sees it unchanged.
  Line breaks become spaces (a value is one line of text).
- `table_cell`: a cell of a Markdown table (the same, as `|` is punctuation).
- `html_text`: HTML text or attribute (quotes included), for raw HTML outputs and
  the theme's announcement banner.

Figures draw labels as plain text: the book style turns matplotlib's mathtext off
(`helpers.report.figures.use_book_style`).

Prefer passing a value as data (myst-nb `glue`, DataFrame HTML) where that is
possible; use these where a value must be pasted into generated markup.
"""

from __future__ import annotations

import html
import re
import string

_PUNCTUATION = {ord(c): f"&#{ord(c)};" for c in string.punctuation}
_LINE_BREAKS = re.compile(r"[\r\n\u0085\u2028\u2029\v\f]+")


def markdown_text(value) -> str:
    """`value` as MyST Markdown that renders as exactly its text (line breaks as spaces)."""
    return _LINE_BREAKS.sub(" ", str(value)).translate(_PUNCTUATION)


def table_cell(value) -> str:
    """`value` as the text of one cell of a Markdown (pipe) table."""
    return markdown_text(value)


def html_text(value) -> str:
    """`value` as HTML text, safe inside an element or a quoted attribute."""
    return html.escape(str(value), quote=True)
