"""CMOC evidence counts and the verdict rule (helpers.analysis.cmoc)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pandas as pd
import pytest

from support import EMBEDDED
from helpers.analysis.cmoc import COLUMNS, verdict, verdicts
from helpers.data.dataset import load_dataset


@pytest.fixture(scope="module")
def dataset():
    return load_dataset(EMBEDDED)


@pytest.mark.parametrize("supports, refutes, refines, expected", [
    (0, 0, 0, "no evidence"),
    (1, 0, 0, "confirmed"),
    (3, 1, 1, "confirmed"),     # 3 of 5: a strict majority
    (2, 1, 1, "mixed"),         # 2 of 4: exactly half is not a majority
    (2, 2, 0, "mixed"),         # tie between supporting and refuting
    (2, 0, 2, "mixed"),         # tie between supporting and refining
    (0, 2, 2, "mixed"),         # tie between refuting and refining
    (1, 1, 1, "mixed"),         # three-way tie
    (0, 1, 0, "refuted"),
    (1, 4, 2, "refuted"),
    (1, 3, 3, "mixed"),         # largest, but not more than half
    (0, 0, 1, "refined"),
    (4, 1, 6, "refined"),
    (5, 0, 5, "mixed"),
])
def test_verdict_rule(supports, refutes, refines, expected):
    assert verdict(supports, refutes, refines) == expected


def _with_evidence(dataset, rows):
    evidence = pd.DataFrame(rows, columns=["cmoc_id", "segment_id", "stance"]).astype("string")
    return replace(dataset, tables={**dataset.tables, "cmoc_evidence": evidence})


def test_hand_built_evidence_per_site_and_overall(dataset):
    seg = dataset.segments.groupby("site_id")["segment_id"].apply(list)
    rows = [("CMOC01", seg["S1"][0], "supports"), ("CMOC01", seg["S1"][1], "supports"),
            ("CMOC01", seg["S1"][2], "refutes"),
            ("CMOC01", seg["S2"][0], "refutes"), ("CMOC01", seg["S2"][1], "supports"),
            ("CMOC02", seg["S3"][0], "refines")]
    table = verdicts(_with_evidence(dataset, rows)).set_index(["cmoc_id", "site_id"])
    assert table.loc[("CMOC01", "S1")].tolist() == [2, 1, 0, "confirmed"]
    assert table.loc[("CMOC01", "S2")].tolist() == [1, 1, 0, "mixed"]
    assert table.loc[("CMOC01", "S3")].tolist() == [0, 0, 0, "no evidence"]
    assert table.loc[("CMOC02", "S3")].tolist() == [0, 0, 1, "refined"]
    assert (table.drop(index=[("CMOC01", "S1"), ("CMOC01", "S2"), ("CMOC02", "S3")])["verdict"]
            == "no evidence").all()
    overall = verdicts(_with_evidence(dataset, rows), overall=True).set_index("cmoc_id")
    assert overall.loc["CMOC01"].tolist() == ["ALL", 3, 2, 0, "confirmed"]
    assert overall.loc["CMOC02"].tolist() == ["ALL", 0, 0, 1, "refined"]
    assert overall.loc["CMOC03"].tolist() == ["ALL", 0, 0, 0, "no evidence"]


def test_no_evidence_at_all(dataset):
    table = verdicts(_with_evidence(dataset, []))
    assert len(table) == len(dataset.cmocs) * len(dataset.site_ids)
    assert (table["verdict"] == "no evidence").all()
    assert (table[["n_supports", "n_refutes", "n_refines"]] == 0).all().all()


def test_a_site_table_has_every_cmoc_even_without_evidence(dataset):
    site = dataset.for_site("S1")
    table = verdicts(site)
    assert list(table.columns) == list(COLUMNS)
    assert list(table["cmoc_id"]) == list(dataset.cmocs["cmoc_id"])
    assert set(table["site_id"]) == {"S1"}


def test_counts_match_a_count_of_the_raw_files(dataset):
    evidence = pd.read_csv(EMBEDDED / "cmoc_evidence.csv", dtype=str)
    site_of = dict(pd.read_csv(EMBEDDED / "segments.csv", dtype=str)[["segment_id", "site_id"]].itertuples(index=False))
    by_site = Counter((r.cmoc_id, site_of[r.segment_id], r.stance) for r in evidence.itertuples())
    overall = Counter((r.cmoc_id, r.stance) for r in evidence.itertuples())
    for r in verdicts(dataset).itertuples():
        assert [r.n_supports, r.n_refutes, r.n_refines] == [by_site[(r.cmoc_id, r.site_id, s)]
                                                             for s in ("supports", "refutes", "refines")]
    for r in verdicts(dataset, overall=True).itertuples():
        assert [r.n_supports, r.n_refutes, r.n_refines] == [overall[(r.cmoc_id, s)]
                                                             for s in ("supports", "refutes", "refines")]
