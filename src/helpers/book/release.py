"""The release checklist written for a team's output checker when the data are real."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pandas as pd

from helpers.report.disclosure import CHECKED_CLASS, SUPPRESSED


class _Elements(HTMLParser):
    """Tables (with their class and suppressed cells) and figures of one page."""

    def __init__(self):
        super().__init__()
        self.items: list[dict] = []
        self._table = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._table = {"kind": "table", "checked": CHECKED_CLASS in (attrs.get("class") or ""),
                           "suppressed": 0, "line": self.getpos()[0]}
        elif tag == "img" and "_images" in (attrs.get("src") or ""):
            self.items.append({"kind": "figure", "alt": attrs.get("alt", ""), "line": self.getpos()[0]})

    def handle_endtag(self, tag):
        if tag == "table" and self._table is not None:
            self.items.append(self._table)
            self._table = None

    def handle_data(self, data):
        if self._table is not None and data.strip() == SUPPRESSED:
            self._table["suppressed"] += 1


LEAVES = {"aggregate": "may leave the environment once an output checker has passed it",
          "per_person": "**must not leave the environment** (one row per participant)"}


COUNT_COLUMNS = ("n_pairs", "n_patients", "n_participants", "n_people", "n_followed_up", "n_lost")


def small_rows(path: Path, threshold: int) -> int:
    """Rows of a results file whose count of people (any COUNT_COLUMNS) is 1 to threshold - 1:
    their statistics are exact and unrounded in the file, though the book suppresses them."""
    frame = pd.read_csv(path)
    counts = frame[[c for c in COUNT_COLUMNS if c in frame.columns]]
    return int(((counts > 0) & (counts < threshold)).any(axis=1).sum()) if not counts.empty else 0


def results_section(results_dir: Path, results: dict[str, str], threshold: int | None = None) -> list[str]:
    """Markdown lines: every results file with its sensitivity (notebooks/pipeline.yml), its size,
    its rows resting on fewer than `threshold` people, and whether it may leave the environment."""
    lines = ["## Results files", "", f"`{results_dir.name}/` as declared in notebooks/pipeline.yml. None of these "
             "files is part of the book; they stay in the environment unless released on their own. The files "
             "hold exact, unrounded statistics for every row, including rows the book suppresses: a file may "
             "leave only as the book shows it, with those rows removed and complementary suppression applied "
             "(see the disclosure note of any page).", "",
             "| file | sensitivity | rows | small-cell rows | may it leave? |", "|---|---|---|---|---|"]
    for name, level in results.items():
        path = results_dir / name
        written = path.is_file()
        rows = len(path.read_text(encoding="utf-8").splitlines()) - 1 if written else "not written"
        small = small_rows(path, threshold) if written and threshold and name.endswith(".csv") else 0
        leaves = LEAVES[level]
        if level == "aggregate" and small:
            leaves = f"only with its {small} small-cell row(s) removed, then once an output checker has passed it"
        lines.append(f"| {name} | {level} | {rows} | {small if threshold else 'not counted'} | {leaves} |")
    return lines + ["", "## Tables and figures of the book", ""]


def checklist(html_root: Path, policy_statement: str, results_dir: Path | None = None,
              results: dict[str, str] | None = None, threshold: int | None = None) -> str:
    """Markdown listing the results files with their sensitivity and small-cell rows (when given),
    and every published table and figure with its disclosure status."""
    lines = ["# Release checklist", "", f"Policy in force: {policy_statement}", ""]
    if results:
        lines += results_section(results_dir, results, threshold)
    lines += ["Every table and figure of the built book. Tables produced through the disclosure helper are "
              "marked *policy applied*; anything else needs a manual check before release.", "",
              "| page | line | element | disclosure status | to check |", "|---|---|---|---|---|"]
    for page in sorted(html_root.rglob("*.html")):
        if "_static" in page.parts:
            continue
        parser = _Elements()
        parser.feed(page.read_text(encoding="utf-8"))
        for item in parser.items:
            name = str(page.relative_to(html_root))
            if item["kind"] == "table":
                status = (f"policy applied, {item['suppressed']} cell(s) suppressed" if item["checked"]
                          else "not through the disclosure helper")
                check = "" if item["checked"] else "**check by hand**"
                lines.append(f"| {name} | {item['line']} | table | {status} | {check} |")
            else:
                lines.append(f"| {name} | {item['line']} | figure: {item['alt'][:80]} | figure | "
                             "**check by hand** (small groups, individual points) |")
    return "\n".join(lines) + "\n"
