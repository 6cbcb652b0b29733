"""How a tool counted the positions of text selections, and which way of counting fits a project.

The REFI-QDA standard counts Unicode code points of the source's plain text. Tools differ:
NVivo for Windows counts UTF-16 code units (a character outside the Basic Multilingual Plane,
such as most emoji, counts two) and ATLAS.ti counts a CRLF line end as one character. A
`Counting` is one such convention; `choose` picks the one that fits a project's selections.

Evidence, for each selection the candidate conventions read differently: a convention that
puts a position inside a character (between the two UTF-16 units of an emoji) or past the end
of the text is impossible; otherwise a selection scores when its ends do not cut a word, when
it does not start or end with white space, and when its text begins with the selection's name
(ATLAS.ti names a quotation by its first words). The convention with the highest score wins;
a tie goes to the one the project's `origin` attribute implies, and with no such hint the
import is refused rather than guessed.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

UNITS = ("code_points", "utf16")
LINE_ENDS = ("as_stored", "lf", "crlf")


@dataclass(frozen=True)
class Counting:
    """A way of counting positions: the unit, and how a line end is counted."""

    unit: str = "code_points"
    line_ends: str = "as_stored"

    def phrase(self) -> str:
        unit = "Unicode code points" if self.unit == "code_points" else "UTF-16 code units (an emoji counts two)"
        line = {"as_stored": "a CRLF line end as two characters", "lf": "a CRLF line end as one character",
                "crlf": "every line end as two characters"}[self.line_ends]
        return f"{unit}, {line}"


STANDARD = Counting()
NVIVO = Counting("utf16", "as_stored")
ATLAS_TI = Counting("code_points", "lf")
_KNOWN_ORIGINS = (("nvivo", NVIVO, "NVivo"), ("atlas", ATLAS_TI, "ATLAS.ti"), ("maxqda", STANDARD, "MAXQDA"),
                  ("qualcoder", STANDARD, "QualCoder"), ("linkbook", STANDARD, "linkbook"))


def origin_hint(origin: str | None) -> tuple[Counting | None, str]:
    """The convention the program named by a project's `origin` is known to use, and its name."""
    text = (origin or "").lower()
    for key, counting, name in _KNOWN_ORIGINS:
        if key in text:
            return counting, name
    return None, ""


class Text:
    """A source's text as one convention sees it, able to turn its positions into string indices."""

    def __init__(self, raw: str, line_ends: str):
        if line_ends == "lf":
            raw = raw.replace("\r\n", "\n")
        elif line_ends == "crlf":
            raw = raw.replace("\r\n", "\n").replace("\n", "\r\n")
        self.text = raw
        astral = [i for i, ch in enumerate(raw) if ord(ch) > 0xFFFF]
        self.starts = [i + k for k, i in enumerate(astral)]  # UTF-16 position of each astral character
        self.utf16_length = len(raw) + len(astral)

    def index(self, position: int, unit: str) -> int | None:
        """The string index of a position, None if it is past the end or inside a character."""
        if unit == "code_points":
            return position if position <= len(self.text) else None
        if position > self.utf16_length:
            return None
        before = bisect.bisect_left(self.starts, position)  # astral characters starting before `position`
        if before and self.starts[before - 1] == position - 1:
            return None  # between the two units of a surrogate pair
        return position - before


def candidates(unit: str, line_ends: str) -> list[Counting]:
    """The conventions to weigh: every one the mapping leaves open ("auto")."""
    units = UNITS if unit == "auto" else (unit,)
    lines = ("as_stored", "lf") if line_ends == "auto" else (line_ends,)
    return [Counting(u, line) for u in units for line in lines]


def _word(ch: str) -> bool:
    return ch.isalnum()


def fit(text: str, start: int, end: int, name: str) -> float:
    """How well a span looks like a selection a person made (higher is better)."""
    score = 0.0
    if start == 0 or start >= len(text) or not (_word(text[start - 1]) and _word(text[start])):
        score += 1
    if end >= len(text) or end == 0 or not (_word(text[end - 1]) and _word(text[end])):
        score += 1
    if start < end:
        score += 0.5 * (not text[start].isspace()) + 0.5 * (not text[end - 1].isspace())
    label = re.sub(r"\s+", " ", name or "").strip().rstrip(".…").strip()
    if len(label) >= 4 and " " in label:  # a name that reads as text, not an identifier
        span = re.sub(r"\s+", " ", text[start:end]).strip()
        if label and span.startswith(label[:40]):
            score += 3
    return score


@dataclass
class Choice:
    """The convention chosen and why, or None with the reason it cannot be told."""

    counting: Counting | None
    reason: str
    differing: int = 0


def choose(spans, options: list[Counting], origin: str | None) -> Choice:
    """Pick the convention among `options` that fits the selections best.

    `spans` yields (raw text, start, end, name) for every selection.
    """
    hint, program = origin_hint(origin)
    if len(options) == 1:
        return Choice(options[0], "as the mapping says")
    texts: dict[tuple, Text] = {}
    scores = {c: 0.0 for c in options}
    impossible = {c: 0 for c in options}
    signature: dict[Counting, list] = {c: [] for c in options}
    differing = 0
    for raw, start, end, name in spans:
        read = {}
        for counting in options:
            key = (id(raw), counting.line_ends)
            text = texts.get(key) or texts.setdefault(key, Text(raw, counting.line_ends))
            a, b = text.index(start, counting.unit), text.index(end, counting.unit)
            read[counting] = None if a is None or b is None or b < a else (text.text, a, b)
        if len({(r[0][r[1]:r[2]] if r else None) for r in read.values()}) == 1:
            continue  # every convention reads the same text
        differing += 1
        for counting, found in read.items():
            signature[counting].append(found[0][found[1]:found[2]] if found else None)
            if found is None:
                impossible[counting] += 1
            else:
                scores[counting] += fit(*found, name)
    preference = [c for c in (hint, STANDARD, *options) if c in options]
    kept: dict[tuple, Counting] = {}
    for counting in sorted(options, key=preference.index):  # ways that read every selection alike are one way
        kept.setdefault(tuple(signature[counting]), counting)
    alike = {c: [o for o in options if o != c and signature[o] == signature[c]] for c in kept.values()}
    options = [c for c in options if c in kept.values()]
    choice = _weigh(options, scores, impossible, differing, hint, program, origin)
    if choice.counting is not None and choice.counting != STANDARD and STANDARD in alike.get(choice.counting, []):
        choice.reason += "; here the standard's counting (code points) reads every selection the same"
    return choice


def _weigh(options, scores, impossible, differing, hint, program, origin) -> Choice:
    named = f" (origin names {program})" if program else ""
    if not differing:
        chosen = hint if hint in options else (STANDARD if STANDARD in options else options[0])
        return Choice(chosen, "every way of counting gives the same texts")
    possible = [c for c in options if not impossible[c]]
    if len(possible) == 1:
        return Choice(possible[0], f"the only way that puts every selection inside the text and between characters "
                                   f"({differing} selections read differently){named}", differing)
    pool = possible or options
    best = max(scores[c] for c in pool)
    top = [c for c in pool if scores[c] == best]
    others = sorted((scores[c] for c in pool if c not in top), reverse=True)
    evidence = (f"{differing} selections read differently; this way they score {best:g} (ends on word boundaries, "
                f"no white space at the ends, text starting with the selection's name), the next best way "
                f"{others[0]:g}" if others else "")
    if len(top) == 1:
        against = f"; the origin names {program}, whose usual counting differs" if hint and hint != top[0] else named
        return Choice(top[0], evidence + against, differing)
    if hint in top:
        return Choice(hint, f"{differing} selections read differently and fit equally well; {program} "
                            "(the project's origin) counts this way", differing)
    return Choice(None, f"{differing} selections read differently and fit equally well whichever way positions "
                        f"are counted ({'; '.join(c.phrase() for c in top)}), and the project's origin "
                        f"({origin or 'not given'}) does not say", differing)
