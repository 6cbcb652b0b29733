"""The privacy guard: scan everything about to be published for personal identifiers.

It reads every rendered HTML page and SVG figure (their visible text) and every
downloadable notebook (cell sources, text outputs and the text of figures) and
reports e-mail addresses, UK phone numbers, NHS numbers (ten digits passing the
modulus 11 check), UK postcodes, dates of birth and any name from an optional
deny-list file kept outside the repository. It also refuses data files (CSV,
Excel, Parquet) in the site.
"""

from __future__ import annotations

import bisect
import hashlib
import html
import json
import os
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from html.parser import HTMLParser
from multiprocessing import get_context
from pathlib import Path

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
UK_PHONE = re.compile(r"(?<![\w+])(?:\+44\s?\(?0?\)?\s?|\(?0)(?:\d[\s)-]{0,2}){9,10}(?![\w])")
NHS_CANDIDATE = re.compile(r"(?<![\w.-])(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?![\w.-])")
POSTCODE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][ABD-HJLNP-UW-Z]{2}(?![A-Za-z0-9])")
DATE = r"(\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{2}-\d{2}|\d{1,2}(st|nd|rd|th)? [A-Z][a-z]+ \d{4})"
BIRTH = re.compile(rf"(date of birth|\bd\.?o\.?b\b|\bborn( on)?)\W{{0,4}}{DATE}", re.IGNORECASE)
SVG_HIDDEN = re.compile(r"<(style|script)\b.*?</\1\s*>|<!--.*?-->", re.DOTALL | re.IGNORECASE)
SVG_TEXT = re.compile(r">([^<]*[^<\s][^<]*)<")
NEWLINE = re.compile("\n")
SEPARATOR = "\n\x00\n"  # between text chunks of one file: no pattern but a date of birth can span it
SCANNED_SUFFIXES = (".html", ".svg", ".ipynb", ".md", ".txt")
PARALLEL_FROM = 64  # files; fewer are scanned in this process
DATA_SUFFIXES = {".csv", ".tsv", ".xlsx", ".xls", ".parquet", ".feather", ".sav", ".dta", ".pickle", ".pkl"}


@dataclass(frozen=True)
class Finding:
    file: str
    location: str
    kind: str
    text: str

    def __str__(self) -> str:
        return f"{self.file} ({self.location}): {self.kind}: {self.text!r}"


def nhs_number_is_valid(digits: str) -> bool:
    """The NHS number modulus 11 check on a string of ten digits."""
    if not re.fullmatch(r"\d{10}", digits):
        return False
    total = sum(int(d) * weight for d, weight in zip(digits[:9], range(10, 1, -1)))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def scan_text(text: str, deny: list[str]) -> list[tuple[str, str]]:
    """(kind, matched text) for every identifier in `text`."""
    return [(kind, match) for kind, match, _ in _matches(text, deny)]


def _matches(text: str, deny: list[str]) -> list[tuple[str, str, int]]:
    """(kind, matched text, offset) for every identifier in `text`."""
    found = [("e-mail address", m.group(0), m.start()) for m in EMAIL.finditer(text)]
    found += [("NHS number", m.group(0), m.start()) for m in NHS_CANDIDATE.finditer(text)
              if nhs_number_is_valid("".join(m.groups()))]
    nhs = {f for _, f, _ in found}
    found += [("UK phone number", m.group(0).strip(), m.start()) for m in UK_PHONE.finditer(text)
              if m.group(0) not in nhs]
    found += [("UK postcode", m.group(0), m.start()) for m in POSTCODE.finditer(text)]
    found += [("date of birth", m.group(0), m.start()) for m in BIRTH.finditer(text)]
    for name in deny:
        found += [("name on the deny-list", m.group(0), m.start())
                  for m in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.IGNORECASE)]
    return found


class _VisibleText(HTMLParser):
    """Text a reader can see, with the line it starts on; scripts and styles are skipped."""

    def __init__(self):
        super().__init__()
        self.chunks: list[tuple[int, str]] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in ("alt", "title") and value:
                self.chunks.append((self.getpos()[0], value))

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.chunks.append((self.getpos()[0], data))


def _svg_text(svg: str) -> list[tuple[int, str]]:
    """(line, text) of each text node of an SVG; styles and scripts skipped, entities decoded.
    Matplotlib's SVG keeps text as <text> elements; a regular expression reads it
    far quicker than an HTML parser."""
    svg = SVG_HIDDEN.sub(lambda m: "\n" * m.group(0).count("\n"), svg)
    newlines = [m.start() for m in NEWLINE.finditer(svg)]
    return [(bisect.bisect_right(newlines, m.start(1)) + 1, html.unescape(m.group(1)))
            for m in SVG_TEXT.finditer(svg)]


def _html_chunks(path: Path):
    parser = _VisibleText()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return [(f"line {line}", text) for line, text in parser.chunks]


def _notebook_chunks(path: Path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    chunks = []
    for number, cell in enumerate(notebook.get("cells", []), start=1):
        chunks.append((f"cell {number} source", "".join(cell.get("source", ""))))
        for output in cell.get("outputs", []):
            texts = [output.get("text", "")] + [output.get("data", {}).get(kind, "")
                                               for kind in ("text/plain", "text/html", "text/markdown")]
            chunks += [(f"cell {number} output", "".join(t) if isinstance(t, list) else t) for t in texts if t]
            svg = output.get("data", {}).get("image/svg+xml")
            if svg:  # a figure: its visible text, not its drawing instructions
                chunks += [(f"cell {number} figure", text)
                           for _, text in _svg_text("".join(svg) if isinstance(svg, list) else svg)]
    return chunks


def resolve_deny_list(given: str | None, project_root: Path) -> Path | None:
    """The deny-list file named by --deny-list or $LINKBOOK_DENY_LIST, which must exist and lie
    outside the project (so that it is never committed or published); None when neither is set."""
    from helpers.data.problems import UsageError

    given = given or os.environ.get("LINKBOOK_DENY_LIST")
    if not given:
        return None
    path = Path(given).resolve()
    if not path.is_file():
        raise UsageError(f"deny-list {path} does not exist")
    if path.is_relative_to(project_root):
        raise UsageError(f"deny-list {path} is inside the project; keep it outside the repository so it is never "
                         "committed or published")
    return path


def read_deny_list(path: Path | None) -> list[str]:
    """Names to refuse, one per line (# comments allowed); the file stays outside the repository."""
    if path is None:
        return []
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def scan_site(html_root: Path, deny: list[str], clean_record: Path | None = None) -> list[Finding]:
    """Every identifier in the pages and downloadable notebooks under `html_root`, and any data file.

    With `clean_record`, a file whose exact bytes were found clean under the same
    rules (this module's source) and the same deny-list is not read again, and the
    record is rewritten to list the clean files of this scan.
    """
    rules = hashlib.sha256(Path(__file__).read_bytes() + "\n".join(deny).encode()).hexdigest()
    known_clean = _read_clean_record(clean_record, rules)
    clean, findings, to_scan = set(), [], []
    for path in sorted(html_root.rglob("*")):
        if not path.is_file():
            continue
        name = str(path.relative_to(html_root))
        if path.suffix.lower() in DATA_SUFFIXES:
            findings.append(Finding(name, "file", "data file in the published site", path.name))
        elif path.suffix in SCANNED_SUFFIXES:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if digest in known_clean:
                clean.add(digest)
            else:
                to_scan.append((path, name, digest))
    for (_, _, digest), found in zip(to_scan, _scan_files([(p, n) for p, n, _ in to_scan], deny)):
        if not found:
            clean.add(digest)
        findings += found
    if clean_record is not None:
        clean_record.parent.mkdir(parents=True, exist_ok=True)
        tmp = clean_record.with_name(f".{clean_record.name}.tmp")
        tmp.write_text(json.dumps({"rules": rules, "clean": sorted(clean)}), encoding="utf-8")
        tmp.replace(clean_record)
    return findings


def _scan_files(files: list[tuple[Path, str]], deny: list[str]) -> list[list[Finding]]:
    """The findings of each file; many files are shared among the CPU's processes."""
    if len(files) < PARALLEL_FROM or (os.cpu_count() or 1) < 2:
        return [_scan_file(path, name, deny) for path, name in files]
    with ProcessPoolExecutor(max_workers=os.cpu_count(), mp_context=get_context("spawn")) as pool:
        return list(pool.map(_scan_file, *zip(*files), [deny] * len(files), chunksize=16))


def _scan_file(path: Path, name: str, deny: list[str]) -> list[Finding]:
    """Scan a file's text chunks in one pass: joined with a separator no pattern can cross
    (other than 'date of birth' followed by a date on the next line, which is worth finding)."""
    chunks = _chunks(path)
    starts, offset = [], 0
    for _, text in chunks:
        starts.append(offset)
        offset += len(text) + len(SEPARATOR)
    joined = SEPARATOR.join(text for _, text in chunks)
    return [Finding(name, chunks[bisect.bisect_right(starts, at) - 1][0], kind, match)
            for kind, match, at in sorted(_matches(joined, deny), key=lambda m: m[2])]


def _chunks(path: Path) -> list[tuple[str, str]]:
    if path.suffix == ".html":
        return _html_chunks(path)
    if path.suffix == ".svg":  # a figure's text is text in its SVG
        return [(f"line {line}", text) for line, text in _svg_text(path.read_text(encoding="utf-8", errors="replace"))]
    if path.suffix == ".ipynb":
        return _notebook_chunks(path)
    # page sources offered for download (.md, .txt)
    return [(f"line {n}", line) for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1)]


def _read_clean_record(record: Path | None, rules: str) -> set[str]:
    try:
        data = json.loads(record.read_text(encoding="utf-8")) if record else {}
    except (FileNotFoundError, json.JSONDecodeError):
        return set()
    return set(data.get("clean", ())) if data.get("rules") == rules else set()
