"""Report-style labels for quoted excerpts, e.g. "Site 4 health professional 07".

Labels are built from the identifiers and groups of the data contract, so they
work for any identifier scheme. A site or participant keeps the number at the
end of its identifier (S4 -> 4, S4-HP07 -> 07) when every identifier in its set
ends in a distinct number; otherwise the set is numbered 1, 2, ... in natural
sort order of the identifiers.
"""

from __future__ import annotations

import re

import pandas as pd

GROUP_WORDS = {
    "patient": "patient", "link_worker": "link worker",
    "health_professional": "health professional", "voluntary_sector": "voluntary sector",
}
SOURCE_WORDS = {"observation": "fieldwork observation", "document": "document", "debrief": "debrief"}


def _natural_key(text: str) -> list:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def numbering(ids) -> dict[str, int]:
    """A number for each identifier: its trailing number if all are distinct, else its natural-sort rank."""
    ids = sorted(set(ids), key=_natural_key)
    tails = [re.search(r"(\d+)\D*$", i) for i in ids]
    numbers = [int(m.group(1)) if m else None for m in tails]
    if None not in numbers and len(set(numbers)) == len(numbers):
        return dict(zip(ids, numbers))
    return {i: rank for rank, i in enumerate(ids, start=1)}


def site_labels(sites: pd.DataFrame) -> dict[str, str]:
    """site_id -> "Site 4"."""
    return {site: f"Site {n}" for site, n in numbering(sites["site_id"]).items()}


def participant_labels(participants: pd.DataFrame, sites: pd.DataFrame) -> dict[str, str]:
    """participant_id -> "Site 4 health professional 07" (numbered within site and group)."""
    site_names = site_labels(sites)
    labels = {}
    for (site, group), rows in participants.groupby(["site_id", "group"], sort=False):
        word = GROUP_WORDS.get(group, str(group).replace("_", " "))
        for pid, n in numbering(rows["participant_id"]).items():
            labels[pid] = f"{site_names[site]} {word} {n:02d}"
    return labels


def segment_labels(segments: pd.DataFrame, participants: pd.DataFrame, sites: pd.DataFrame) -> pd.Series:
    """segment_id -> who or what an excerpt comes from.

    Interviews take the speaker's label; a debrief takes the link worker's label
    with "(debrief)"; observations and documents are labelled by site and source.
    """
    people = participant_labels(participants, sites)
    site_names = site_labels(sites)

    def label(row) -> str:
        speaker = people.get(row.participant_id) if isinstance(row.participant_id, str) else None
        if row.source == "interview" and speaker:
            return speaker
        if row.source == "debrief" and speaker:
            return f"{speaker} (debrief)"
        return f"{site_names[row.site_id]} {SOURCE_WORDS.get(row.source, row.source)}"

    return pd.Series([label(r) for r in segments.itertuples(index=False)], index=segments["segment_id"].to_numpy(),
                     name="label", dtype="object")


def with_article(noun: str, capital: bool = True) -> str:
    """`noun` after "A" or "An" by its first letter ("An allied health professional", "A GP")."""
    vowel = noun[:1].lower() in "aeiou"
    article = ("An" if vowel else "A") if capital else ("an" if vowel else "a")
    return f"{article} {noun}"


# Words a code is spelt with in the book when they are not plain lower-case words.
CODE_WORDS = {"vcse": "VCSE", "gp": "GP", "gps": "GPs", "imd": "IMD", "ons": "ONS", "gse": "GSE", "cmoc": "CMOC",
              "cmocs": "CMOCs", "pcn": "PCN", "arrs": "ARRS", "nhs": "NHS", "id": "identifier", "ci95": "95% CI"}
CODE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+|[a-z]{2,5}")


def readable_label(code) -> str:
    """A snake_case code as the book writes it: allied_health_professional -> allied health
    professional, vcse_manager -> VCSE manager, n_sites -> sites. Other text is returned as it is."""
    text = str(code)
    if not CODE.fullmatch(text):
        return text
    words = text.split("_")
    if len(words) == 1 and text not in CODE_WORDS:
        return text
    if words[0] == "n":
        words = words[1:]
    return " ".join(CODE_WORDS.get(word, word) for word in words)
