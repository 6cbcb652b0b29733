"""The privacy guard: scan everything about to be published for personal identifiers.

It reads every rendered HTML page and SVG figure (their visible text), every
downloadable notebook (cell sources, text outputs and the text of figures), the
page sources offered for download and the search index, and reports e-mail
addresses, UK phone numbers, NHS numbers (ten digits passing the modulus 11
check), National Insurance numbers, UK postcodes, street addresses, dates of birth and any name from an optional deny-list file
kept outside the repository, in the forms listed in FORMS. Text is normalised
before matching (`normalise`). It also refuses data files (CSV, Excel, Parquet)
in the site. No pattern finds a person described by context (a role at a small
site, an event) or a name missing from the deny-list: see SECURITY.md.
"""

from __future__ import annotations

import bisect
import hashlib
import html
import json
import os
import re
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from html.parser import HTMLParser
from multiprocessing import get_context
from pathlib import Path

# The patterns read normalised text (see `normalise`): NFKC, entities decoded, tags removed,
# accents folded, every kind of whitespace collapsed to one space; case is kept, and the
# patterns ignore it. FORMS lists, for each pattern, the written forms it is meant to catch.
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[a-z0-9-]+(\.[a-z0-9-]+)+", re.IGNORECASE)
UK_PHONE = re.compile(r"(?<![\w+])(?P<prefix>(?:\+|00)44 ?(?:\(0\) ?)?|\(?0)\d(?:(?:\)? ?|[.-])\d){8,9}(?!\w|[.-]\d)")
PHONE_GROUPS = 4  # a number written in more groups of digits than this is a row of figures, not a phone
NHS_CANDIDATE = re.compile(r"(?<![\w-])(?<!\d[.,])(\d{3})([ .-]?)(\d{3})\2(\d{4})(?!\w|[.,-]\d)")
POSTCODE = re.compile(r"(?<![a-z0-9])([a-z]{1,2}[0-9][a-z0-9]?) ?([0-9][abd-hjlnp-uw-z]{2})(?![a-z0-9])",
                      re.IGNORECASE)
ORDINAL = re.compile(r"1st|2nd|3rd|[04-9]th")  # '2nd', '4th' written in lower case: an ordinal, not a postcode
MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?"
         r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
DAY = r"\d{1,2}(?:st|nd|rd|th)?"
DATE = (rf"(?:\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}|\d{{4}}-\d{{2}}-\d{{2}}|{DAY} (?:of )?{MONTH},? \d{{4}}"
        rf"|{MONTH} {DAY},? \d{{4}})")
BIRTH = re.compile(rf"(?:date of birth|\bd\.? ?o\.? ?b\b\.?|\bborn(?: on)?)(?:\W{{0,3}}(?:is|was|on|of|the)\b){{0,3}}"
                   rf"\W{{0,4}}{DATE}"
                   rf"|\bborn(?: in)? {MONTH},? \d{{4}}"  # month and year of birth
                   rf"|\bbirthday(?:\W{{0,3}}(?:is|was|on|of|the)\b){{0,3}}\W{{0,4}}(?:{DAY} (?:of )?{MONTH}|{MONTH} {DAY})",
                   re.IGNORECASE)
# Two prefix letters (HMRC never issues D, F, I, Q, U or V first, nor D, F, I, O, Q, U or V second;
# QQ is its specimen prefix), six digits in pairs, a suffix A to D.
# Upper case as written on cards and letters; in lower case only as one unspaced token (ab123456c).
NI_NUMBER = re.compile(r"(?<![A-Za-z0-9])(?:([A-Z]{2}) ?\d{2}( ?)\d{2}\2\d{2} ?[A-D]|([a-z]{2})\d{6}[a-d])(?![A-Za-z0-9])")
NI_PREFIX = re.compile(r"qq|[a-ceghj-prstw-z][a-ceghj-nprstw-z]", re.IGNORECASE)
NI_NOT_ISSUED = {"bg", "gb", "kn", "nk", "nt", "tn", "zz"}
EMAIL_SPELLED = re.compile(r"(?<![\w.+-])[\w.+-]+ ?[\[(]at[\])] ?[a-z0-9-]+(?: ?(?:[\[(]dot[\])]|\.) ?[a-z0-9-]+)+",
                           re.IGNORECASE)
STREET = (r"Road|Rd|Street|St|Avenue|Ave|Lane|Close|Drive|Way|Crescent|Place|Gardens|Court|Terrace|Grove|"
          r"Hill|Row|Square|Walk|Mews|Parade|Rise|View|Park|Green")
# A house number, one to three capitalised words and a street type: 14 Station Road, 3a Mill Lane.
ADDRESS = re.compile(rf"(?<![\w.,-])\d{{1,4}}[a-zA-Z]?,? (?:[A-Z][a-z'’-]+ ){{1,3}}(?:{STREET})\b\.?")
FORMS = {
    "e-mail address": "name@example.org in any case, also spelled out as name [at] example [dot] org",
    "National Insurance number": "two prefix letters HMRC issues (or the specimen QQ), six digits, a suffix A-D, "
                                 "in upper case with or without the spaces between pairs, or in lower case unspaced",
    "street address": "a house number then one to three capitalised words and a street type (Road, Street, "
                      "Lane, Close, ...): 14 Station Road, 3a Mill Lane",
    "NHS number": "ten digits passing the modulus 11 check, grouped 3-3-4 by spaces, hyphens or dots or "
                  "not grouped, also at the end of a sentence",
    "UK phone number": "0 or +44 or 0044 then ten digits, grouped by spaces, hyphens, dots or brackets",
    "UK postcode": "outward and inward code in any case, with or without the space (an ordinal like "
                   "'2nd' written in lower case is not taken for an inward code)",
    "date of birth": "'date of birth', 'DOB' or 'born' (with up to three of is/was/on/of/the) then a date: "
                     "12/05/1948, 1948-05-12, 3 April 1950, 3rd of Apr 1950, April 3, 1950; 'born (in) April "
                     "1950'; 'birthday (is) 3 April' (a year alone is not flagged)",
    "name on the deny-list": "the name as a whole word in any case, accents or none (Zoe for Zoë), split by "
                             "a line break, a non-breaking space or HTML tags, in the possessive",
}
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
_TAG = re.compile(r"<[^<>]{0,2000}>")
_BLOCK_TAG = re.compile(r"</?(?:p|div|br|li|ul|ol|tr|td|th|table|h[1-6]|section|pre|dd|dt|dl|hr)\b[^<>]{0,2000}>",
                        re.IGNORECASE)
_SPACE = re.compile(r"\s+")
_LETTERS = str.maketrans({"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "þ": "th",
                          "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ı": "i", "’": "'", "‘": "'"})


def normalise(text: str) -> str:
    """Text as the patterns read it: Unicode NFKC, HTML entities decoded, tags removed (a block
    tag leaves a space, an inline one nothing), accents folded (Zoë -> Zoe), invisible characters
    dropped and every run of whitespace (line breaks, non-breaking spaces) one space."""
    text = unicodedata.normalize("NFKC", text)
    if "<" in text:
        text = _TAG.sub("", _BLOCK_TAG.sub(" ", text))
    if "&" in text:
        text = html.unescape(text)
    if not text.isascii():  # nothing to fold in plain ASCII (most of a page)
        text = unicodedata.normalize("NFKD", text.translate(_INVISIBLE).translate(_LETTERS))
        text = "".join(c for c in text if not unicodedata.combining(c))
    return _SPACE.sub(" ", text)


SVG_HIDDEN = re.compile(r"<(style|script)\b.*?</\1\s*>|<!--.*?-->", re.DOTALL | re.IGNORECASE)
SVG_TEXT = re.compile(r">([^<]*[^<\s][^<]*)<")
NEWLINE = re.compile("\n")
SEPARATOR = "\n\x00\n"  # between text chunks of one file: no pattern but a date of birth can span it
SCANNED_SUFFIXES = (".html", ".svg", ".ipynb", ".md", ".txt", ".py")
SEARCH_INDEX = "searchindex.js"  # Sphinx's search index: the words of every page, and their titles
JS_STRING = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
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
    """(kind, matched text) for every identifier in `text` (text and names normalised first)."""
    return [(kind, match) for kind, match, _ in _matches(normalise(text), deny)]


def deny_form(name: str) -> str:
    """A deny-listed name as it is matched: normalised and case-folded."""
    return normalise(name).strip().casefold()


def _matches(text: str, deny: list[str]) -> list[tuple[str, str, int]]:
    """(kind, matched text, offset) for every identifier in normalised `text`."""
    nhs = [("NHS number", m.group(0), m.start()) for m in NHS_CANDIDATE.finditer(text)
           if nhs_number_is_valid(m.group(1) + m.group(3) + m.group(4))]
    found = [("e-mail address", m.group(0), m.start()) for pattern in (EMAIL, EMAIL_SPELLED)
             for m in pattern.finditer(text)] + nhs
    found += [("National Insurance number", m.group(0), m.start()) for m in NI_NUMBER.finditer(text)
              if NI_PREFIX.fullmatch(m.group(1) or m.group(3)) and (m.group(1) or m.group(3)).lower() not in NI_NOT_ISSUED]
    found += [("street address", m.group(0), m.start()) for m in ADDRESS.finditer(text)]
    found += [("UK phone number", m.group(0), m.start()) for m in UK_PHONE.finditer(text)
              if m.start() not in {at for *_, at in nhs} and _phone_groups(m) <= PHONE_GROUPS
              and not _figures(m)]
    found += [("UK postcode", m.group(0), m.start()) for m in POSTCODE.finditer(text)
              if not ORDINAL.fullmatch(m.group(2))]
    found += [("date of birth", m.group(0), m.start()) for m in BIRTH.finditer(text)]
    folded = text.casefold() if deny else ""  # offsets move only where a letter folds to two (ß -> ss)
    for name in dict.fromkeys(f for f in map(deny_form, deny) if f):
        found += [("name on the deny-list", m.group(0), m.start())
                  for m in re.finditer(rf"(?<!\w){re.escape(name)}(?:'s?)?(?!\w)", folded)]
    return found


INLINE_TAGS = {"a", "abbr", "b", "bdi", "bdo", "cite", "code", "del", "dfn", "em", "font", "i", "ins", "kbd",
               "mark", "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var", "wbr"}


def _figures(match: re.Match) -> bool:
    """Whether a phone-shaped match is a row of figures: it continues a decimal (the 07 of 1.07), or
    mixes dots with spaces (07 3461 22.59: a count beside a mean); a phone keeps one separator."""
    text, start = match.string, match.start()
    continues = start >= 2 and text[start - 1] in ".," and text[start - 2].isdigit()
    return continues or ("." in match.group(0) and " " in match.group(0))


def _phone_groups(match: re.Match) -> int:
    """Groups of digits after a phone number's prefix (0, +44, 0044)."""
    return len(re.findall(r"\d+", match.string[match.end("prefix"):match.end()]))


class _VisibleText(HTMLParser):
    """Text a reader can see, with the line it starts on; scripts and styles are skipped. Text runs
    on across inline tags (a name split as Zo<b>ë</b> stays one word) and, after a space, across a
    line break (<br>); other tags end a chunk."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.chunks: list[tuple[int, str]] = []
        self._skip = 0
        self._run: list[str] = []
        self._line = 0

    def _flush(self):
        text = "".join(self._run)
        if text.strip():
            self.chunks.append((self._line, text))
        self._run = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        if tag == "br":  # a line break within a block: the text runs on after a space
            self._run.append(" ")
        elif tag not in INLINE_TAGS:
            self._flush()
        for name, value in attrs:
            if name in ("alt", "title", "aria-label") and value:
                self.chunks.append((self.getpos()[0], value))

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1
        if tag not in INLINE_TAGS and tag != "br":
            self._flush()

    def handle_data(self, data):
        if not self._skip:
            if not self._run:
                self._line = self.getpos()[0]
            self._run.append(data)

    def close(self):
        super().close()
        self._flush()


def _svg_text(svg: str) -> list[tuple[int, str]]:
    """(line, text) of each text node of an SVG; styles and scripts skipped, entities decoded.
    Matplotlib's SVG keeps text as <text> elements; a regular expression reads it
    far quicker than an HTML parser."""
    svg = SVG_HIDDEN.sub(lambda m: "\n" * m.group(0).count("\n"), svg)
    newlines = [m.start() for m in NEWLINE.finditer(svg)]
    return [(bisect.bisect_right(newlines, m.start(1)) + 1, html.unescape(m.group(1)))
            for m in SVG_TEXT.finditer(svg)]


def _visible_text(markup: str) -> list[tuple[int, str]]:
    """(line, text) of each block of HTML a reader sees: a table cell, paragraph or list item is
    a chunk of its own, as in a rendered page, so adjacent table cells (478 | 336 | 1231) never
    read as one number; text split by inline tags stays one chunk."""
    parser = _VisibleText()
    parser.feed(markup)
    parser.close()
    return parser.chunks


def _html_chunks(path: Path):
    return [(f"line {line}", text) for line, text in _visible_text(path.read_text(encoding="utf-8", errors="replace"))]


def _notebook_chunks(path: Path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    chunks = []
    for number, cell in enumerate(notebook.get("cells", []), start=1):
        chunks.append((f"cell {number} source", "".join(cell.get("source", ""))))
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            texts = [_joined(output.get("text", ""))] + [_joined(data.get(kind, "")) for kind in ("text/plain", "text/markdown")]
            texts += [text for _, text in _visible_text(_joined(data.get("text/html", "")))]
            chunks += [(f"cell {number} output", text) for text in texts if text]
            svg = data.get("image/svg+xml")
            if svg:  # a figure: its visible text, not its drawing instructions
                chunks += [(f"cell {number} figure", text) for _, text in _svg_text(_joined(svg))]
    return chunks


def _joined(text: str | list[str]) -> str:
    """A notebook string field, stored whole or as a list of lines."""
    return "".join(text) if isinstance(text, list) else text


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
    """Names to refuse, one per line (# comments allowed; a byte order mark is not part of the first
    name), normalised as the scanned text is; the file stays outside the repository."""
    if path is None:
        return []
    lines = Path(path).read_text(encoding="utf-8-sig").splitlines()
    names = [normalise(line).strip() for line in lines if not line.lstrip().startswith("#")]
    return [name for name in names if name]


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
        elif path.suffix in SCANNED_SUFFIXES or path.name == SEARCH_INDEX:
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
    chunks = [(where, normalise(text)) for where, text in _chunks(path)]
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
    if path.name == SEARCH_INDEX:  # every string of the index: titles, terms, entries
        text = path.read_text(encoding="utf-8", errors="replace")
        return [("search index", _js_string(m.group(1))) for m in JS_STRING.finditer(text)]
    # page sources offered for download (.md, .txt, .py): one chunk per paragraph, so that a
    # name broken over two lines is still found
    chunks, paragraph = [], []
    for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines() + [""], 1):
        if line.strip():
            paragraph.append((n, line))
        elif paragraph:
            chunks.append((f"line {paragraph[0][0]}", "\n".join(text for _, text in paragraph)))
            paragraph = []
    return chunks


def _js_string(body: str) -> str:
    try:
        return json.loads(f'"{body}"')
    except ValueError:
        return body


def _read_clean_record(record: Path | None, rules: str) -> set[str]:
    try:
        data = json.loads(record.read_text(encoding="utf-8")) if record else {}
    except (FileNotFoundError, json.JSONDecodeError):
        return set()
    return set(data.get("clean", ())) if data.get("rules") == rules else set()
