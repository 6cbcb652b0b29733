"""Questionnaire scoring: the GSE total, ONS4 bands and a tidy scores table.

Rules from the data contract (DESIGN.md): ONS4 items are analysed one by one,
never summed; the GSE total is 10 x the mean of the answered items when at
least 7 of the 10 are answered, otherwise missing (range 10-40).
"""

from __future__ import annotations

from functools import cache

import pandas as pd

from helpers.data import reference
from helpers.data.contract import GSE_ITEMS, ONS_ITEMS
from helpers.analysis.rules import GSE_MIN_ANSWERED

MEASURES = (*ONS_ITEMS, "gse_total")
LOWER_IS_BETTER = frozenset({"ons_anxious"})
MEASURE_LABELS = {
    "ons_life_satisfaction": "Life satisfaction (0-10)",
    "ons_worthwhile": "Things done in life are worthwhile (0-10)",
    "ons_happy": "Happiness yesterday (0-10)",
    "ons_anxious": "Anxiety yesterday (0-10, lower is better)",
    "gse_total": "General self-efficacy (10-40)",
}


def gse_total(questionnaires: pd.DataFrame) -> pd.Series:
    """GSE total per row: 10 x mean of the answered items when at least
    ``GSE_MIN_ANSWERED`` of the 10 are answered, else NaN."""
    items = questionnaires[list(GSE_ITEMS)].astype("float64")
    answered = items.notna().sum(axis=1)
    return (10 * items.mean(axis=1)).where(answered >= GSE_MIN_ANSWERED).rename("gse_total")


@cache
def _bands(item: str) -> tuple[tuple[int, int, str], ...]:
    table = reference.load("ons4_bands")
    rows = table[table["item"] == item]
    if rows.empty:
        raise ValueError(f"{item!r} is not an ONS4 item; expected one of {', '.join(ONS_ITEMS)}")
    return tuple(zip(rows["lower"], rows["upper"], rows["band"]))


def ons_band(item: str, value) -> str | None:
    """The ONS band label of one ONS4 answer (e.g. 'high'), None when missing.

    Bands come from ``data/reference/ons4_bands.csv``; anxiety has its own
    bands (very low .. high, lower is better). A value that is not an integer
    0-10 raises ValueError.
    """
    if pd.isna(value):
        return None
    for lower, upper, band in _bands(item):
        if value in range(lower, upper + 1):
            return band
    raise ValueError(f"{value!r} is not an ONS4 answer (an integer 0-10)")


def scores(questionnaires: pd.DataFrame) -> pd.DataFrame:
    """Long table of the five measures: participant_id, wave, measure, value.

    One row per answered measure (missing answers and GSE totals below the
    answered-items threshold are left out), measures in ``MEASURES`` order.
    """
    wide = questionnaires[["participant_id", "wave"]].copy()
    wide[list(ONS_ITEMS)] = questionnaires[list(ONS_ITEMS)].astype("float64")
    wide["gse_total"] = gse_total(questionnaires)
    long = wide.melt(
        id_vars=["participant_id", "wave"], value_vars=list(MEASURES), var_name="measure", value_name="value"
    )
    return long.dropna(subset=["value"]).reset_index(drop=True)


def wave_pairs(scores: pd.DataFrame, measure: str) -> pd.DataFrame:
    """One row per participant with a score of ``measure`` at both waves: columns 1 and 2 (the scores),
    indexed by participant_id. The pairs every paired analysis and its disclosure control count."""
    rows = scores[scores["measure"] == measure]
    return rows.pivot(index="participant_id", columns="wave", values="value").reindex(columns=[1, 2]).dropna()
