import numpy as np
import pandas as pd
import pytest

from helpers.data import reference
from helpers.data.contract import GSE_ITEMS, ONS_ITEMS
from helpers.analysis.scoring import LOWER_IS_BETTER, MEASURE_LABELS, MEASURES, gse_total, ons_band, scores


def _questionnaires(rows):
    """rows: (participant_id, wave, four ONS answers, ten GSE answers) with None for blanks."""
    records = [
        {"participant_id": pid, "wave": wave, **dict(zip(ONS_ITEMS, ons)), **dict(zip(GSE_ITEMS, gse))}
        for pid, wave, ons, gse in rows
    ]
    return pd.DataFrame(records, columns=["participant_id", "wave", *ONS_ITEMS, *GSE_ITEMS])


def test_gse_total_needs_seven_of_ten_items():
    q = _questionnaires(
        [
            ("P1", 1, [5] * 4, [1, 2, 3, 4, 1, 2, 3, 4, 1, 2]),  # 10 answered: 10 * 23/10
            ("P2", 1, [5] * 4, [4, 4, 4, 3, 3, 3, 2, None, None, None]),  # 7 answered: 10 * 23/7
            ("P3", 1, [5] * 4, [4, 4, 4, 4, 4, 4, None, None, None, None]),  # 6 answered: missing
            ("P4", 1, [5] * 4, [1] * 10),
            ("P5", 1, [5] * 4, [4] * 10),
        ]
    )
    total = gse_total(q)
    assert total.name == "gse_total"
    assert total.iloc[0] == pytest.approx(23.0)
    assert total.iloc[1] == pytest.approx(230 / 7)
    assert np.isnan(total.iloc[2])
    assert total.iloc[3] == 10 and total.iloc[4] == 40


def test_gse_total_accepts_nullable_integers_and_empty_frames():
    q = _questionnaires([("P1", 1, [5] * 4, [2, 2, 2, 2, 2, 2, 2, 2, None, 3])])
    q[list(GSE_ITEMS)] = q[list(GSE_ITEMS)].astype("Int64")
    assert gse_total(q).iloc[0] == pytest.approx(10 * 19 / 9)
    assert gse_total(q.iloc[:0]).empty


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (0, "low"), (4, "low"), (5, "medium"), (6, "medium"), (7, "high"), (8, "high"),
        (9, "very high"), (10, "very high"), (7.0, "high"),
    ],
)
@pytest.mark.parametrize("item", ["ons_life_satisfaction", "ons_worthwhile", "ons_happy"])
def test_ons_band_positive_items(item, value, band):
    assert ons_band(item, value) == band


@pytest.mark.parametrize(
    ("value", "band"),
    [(0, "very low"), (1, "very low"), (2, "low"), (3, "low"), (4, "medium"), (5, "medium"), (6, "high"), (10, "high")],
)
def test_ons_band_anxiety(value, band):
    assert ons_band("ons_anxious", value) == band


def test_ons_band_missing_and_invalid():
    assert ons_band("ons_happy", None) is None
    assert ons_band("ons_happy", np.nan) is None
    assert ons_band("ons_happy", pd.NA) is None
    for bad in (4.5, -1, 11):
        with pytest.raises(ValueError):
            ons_band("ons_happy", bad)
    with pytest.raises(ValueError):
        ons_band("gse_total", 5)


def test_scores_long_table():
    q = _questionnaires(
        [
            ("P1", 1, [6, 7, None, 3], [3] * 10),
            ("P1", 2, [8, 7, 6, 2], [3, 3, 3, 3, 3, 3, None, None, None, None]),
        ]
    )
    s = scores(q)
    assert list(s.columns) == ["participant_id", "wave", "measure", "value"]
    assert set(s["measure"]) <= set(MEASURES)
    got = {(r.participant_id, r.wave, r.measure): r.value for r in s.itertuples()}
    assert got == {
        ("P1", 1, "ons_life_satisfaction"): 6,
        ("P1", 2, "ons_life_satisfaction"): 8,
        ("P1", 1, "ons_worthwhile"): 7,
        ("P1", 2, "ons_worthwhile"): 7,
        ("P1", 2, "ons_happy"): 6,  # wave 1 happiness unanswered
        ("P1", 1, "ons_anxious"): 3,
        ("P1", 2, "ons_anxious"): 2,
        ("P1", 1, "gse_total"): 30,  # wave 2 has only 6 GSE items
    }
    order = [MEASURES.index(m) for m in s["measure"]]
    assert order == sorted(order)
    assert scores(q.iloc[:0]).empty


def test_measure_constants():
    assert MEASURES == (*ONS_ITEMS, "gse_total")
    assert LOWER_IS_BETTER == {"ons_anxious"}
    assert set(MEASURE_LABELS) == set(MEASURES)
    assert "lower is better" in MEASURE_LABELS["ons_anxious"]


def test_reference_tables():
    for name in reference.TABLES:
        table = reference.load(name)
        assert "source" in table and table["source"].notna().all()
    with pytest.raises(ValueError):
        reference.load("nope")

    bands = reference.load("ons4_bands")
    for item in ONS_ITEMS:
        covered = [v for r in bands[bands["item"] == item].itertuples() for v in range(r.lower, r.upper + 1)]
        assert sorted(covered) == list(range(11)), item  # each answer 0-10 in exactly one band

    means = reference.load("ons4_uk_means").set_index(["period", "item"])["mean"]
    assert means[("April 2022 to March 2023", "ons_life_satisfaction")] == 7.45
    assert means[("April 2022 to March 2023", "ons_anxious")] == 3.23
    assert means[("April 2021 to March 2022", "ons_worthwhile")] == 7.77
    notes = reference.load("ons4_uk_means").set_index(["period", "item"])["note"]
    assert "unverified" in notes[("April 2022 to March 2023", "ons_happy")]
