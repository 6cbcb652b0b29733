"""The release checklist written for a team's output checker when the data are real."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

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


def results_section(results_dir: Path, results: dict[str, str]) -> list[str]:
    """Markdown lines: every results file with its sensitivity (notebooks/pipeline.yml), its size
    and whether it may leave the research environment."""
    lines = ["## Results files", "", f"`{results_dir.name}/` as declared in notebooks/pipeline.yml. None of these "
             "files is part of the book; they stay in the environment unless released on their own.", "",
             "| file | sensitivity | rows | may it leave? |", "|---|---|---|---|"]
    for name, level in results.items():
        lines.append(f"| {name} | {level} | {_data_rows(results_dir / name)} | {LEAVES[level]} |")
    return lines + ["", "## Tables and figures of the book", ""]


def _data_rows(path: Path) -> int | str:
    if not path.is_file():
        return "not written"
    with path.open(encoding="utf-8") as lines:
        return sum(1 for _ in lines) - 1


def checklist(html_root: Path, policy_statement: str, results_dir: Path | None = None,
              results: dict[str, str] | None = None) -> str:
    """Markdown listing the results files with their sensitivity (when given), and every
    published table and figure with its disclosure status."""
    lines = ["# Release checklist", "", f"Policy in force: {policy_statement}", ""]
    if results:
        lines += results_section(results_dir, results)
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
