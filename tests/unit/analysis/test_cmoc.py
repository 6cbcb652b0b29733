"""CMOC evidence counts and the verdict rule (helpers.analysis.cmoc)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace

import pandas as pd
import pytest

from support import EMBEDDED
from helpers.analysis.cmoc import COLUMNS, contrast, refined_statements, refinement, verdict, verdicts
from helpers.data.dataset import load_dataset


@pytest.fixture(scope="module")
def dataset():
    return load_dataset(EMBEDDED)


@pytest.mark.parametrize("supports, refutes, people, sites, cited, pooled, expected", [
    (0, 0, 0, 0, 0, False, "no evidence"),
    (5, 0, 2, 1, 5, False, "insufficient evidence"),   # two people are too few, however many segments
    (5, 0, 3, 1, 5, False, "confirmed"),
    (5, 0, 3, 1, 5, True, "insufficient evidence"),    # pooled: one site is too few
    (5, 0, 3, 2, 5, True, "insufficient evidence"),
    (5, 0, 3, 3, 5, True, "confirmed"),
    (3, 1, 4, 1, 4, False, "confirmed"),               # 3/4 = 0.75: the threshold confirms
    (2, 1, 4, 1, 3, False, "contested"),               # 2/3 < 0.75
    (1, 3, 4, 1, 4, False, "refuted"),                 # 1/4 = 0.25: the threshold refutes
    (1, 1, 4, 1, 2, False, "contested"),
    (0, 0, 5, 1, 6, False, "insufficient evidence"),   # refining only: nothing decides holding or not
    (0.5, 1.0, 4, 1, 2, False, "contested"),           # weights: 1/3 of the weighed evidence supports
])
def test_verdict_rule(supports, refutes, people, sites, cited, pooled, expected):
    assert verdict(supports, refutes, people, sites, cited, pooled=pooled) == expected


@pytest.mark.parametrize("refines, total, n_refines, expected", [
    (0, 5, 0, "not refined"), (1, 5, 1, "not refined"),     # one refining segment is not enough
    (2, 10, 2, "refined"), (1.9, 10, 2, "not refined"),     # 20% of the weight, at least two segments
    (3, 3, 3, "refined"),
])
def test_refinement_rule(refines, total, n_refines, expected):
    assert refinement(refines, total, n_refines) == expected


def _with_evidence(dataset, rows):
    columns = ["cmoc_id", "segment_id", "stance", "relevance", "rigour"]
    rows = [tuple(r) + (None,) * (5 - len(r)) for r in rows]
    evidence = pd.DataFrame(rows, columns=columns).astype("string")
    return replace(dataset, tables={**dataset.tables, "cmoc_evidence": evidence})


def _people_segments(dataset, site_id, n):
    """n interview segments of n different people at a site."""
    seg = dataset.segments
    seg = seg[(seg["site_id"] == site_id) & (seg["source"] == "interview")].drop_duplicates("participant_id")
    return list(seg["segment_id"][:n])


def test_hand_built_ledger_per_site_and_overall(dataset):
    s1 = _people_segments(dataset, "S1", 4)
    s2 = _people_segments(dataset, "S2", 3)
    s3 = _people_segments(dataset, "S3", 3)
    doc = dataset.segments.loc[(dataset.segments["site_id"] == "S1") & (dataset.segments["source"] == "document"),
                               "segment_id"].iloc[0]
    rows = ([("CMOC01", s, "supports") for s in s1[:3]] + [("CMOC01", s1[3], "refutes"), ("CMOC01", doc, "refines")]
            + [("CMOC01", s2[0], "refutes"), ("CMOC01", s2[1], "supports")]
            + [("CMOC01", s, "supports") for s in s3])
    table = verdicts(_with_evidence(dataset, rows)).set_index(["cmoc_id", "site_id"])
    s1_row = table.loc[("CMOC01", "S1")]
    assert s1_row[["n_supports", "n_refutes", "n_refines", "n_people", "n_sources", "n_sites"]].tolist() == \
        [3, 1, 1, 4, 2, 1]  # the document has nobody and is a second kind of source
    assert s1_row["verdict"] == "confirmed" and s1_row["refined"] == "not refined"
    assert table.loc[("CMOC01", "S2"), "verdict"] == "insufficient evidence"  # two people
    assert table.loc[("CMOC01", "S3"), "verdict"] == "confirmed"
    overall = verdicts(_with_evidence(dataset, rows), overall=True).set_index("cmoc_id")
    row = overall.loc["CMOC01"]
    assert row[["n_supports", "n_refutes", "n_refines", "n_people", "n_sites"]].tolist() == [7, 2, 1, 9, 3]
    assert row["support_share"] == pytest.approx(7 / 9) and row["verdict"] == "confirmed"
    assert overall.loc["CMOC02", "verdict"] == "no evidence"


def test_relevance_and_rigour_weigh_the_evidence(dataset):
    people = _people_segments(dataset, "S1", 5)
    plain = [("CMOC01", s, "supports") for s in people[:3]] + [("CMOC01", s, "refutes") for s in people[3:]]
    assert verdicts(_with_evidence(dataset, plain)).set_index(["cmoc_id", "site_id"]).loc[("CMOC01", "S1"), "verdict"] == "contested"
    # the two refuting segments judged of low relevance and moderate rigour weigh 0.25 * 0.5 each
    judged = plain[:3] + [(c, s, st, "low", "moderate") for c, s, st in plain[3:]]
    row = verdicts(_with_evidence(dataset, judged)).set_index(["cmoc_id", "site_id"]).loc[("CMOC01", "S1")]
    assert row["support_share"] == pytest.approx(3 / (3 + 2 * 0.125))
    assert row["verdict"] == "confirmed"
    assert row["n_refutes"] == 2  # counts stay counts; only the judgement is weighed


def test_verdicts_recomputed_from_the_raw_files_under_the_stated_rule(dataset):
    from helpers.analysis import rules
    evidence = pd.read_csv(EMBEDDED / "cmoc_evidence.csv", dtype=str, keep_default_na=False)
    segments = pd.read_csv(EMBEDDED / "segments.csv", dtype=str, keep_default_na=False).set_index("segment_id")
    weight = {"": 1.0, "high": 1.0, "moderate": 0.5, "low": 0.25}
    result = verdicts(dataset, overall=True).set_index("cmoc_id")
    for cmoc_id in dataset.cmocs["cmoc_id"]:
        mine = evidence[evidence["cmoc_id"] == cmoc_id]
        w = {s: sum(weight[a] * weight[b] for a, b in zip(mine.loc[mine["stance"] == s, "relevance"],
                                                        mine.loc[mine["stance"] == s, "rigour"]))
             for s in ("supports", "refutes", "refines")}
        seg = segments.loc[mine["segment_id"]]
        people = len(set(seg["participant_id"]) - {""})
        n_sites = seg["site_id"].nunique()
        if mine.empty:
            expected = "no evidence"
        elif people < 3 or n_sites < 3 or w["supports"] + w["refutes"] == 0:
            expected = "insufficient evidence"
        else:
            share = w["supports"] / (w["supports"] + w["refutes"])
            expected = "confirmed" if share >= 0.75 else "refuted" if share <= 0.25 else "contested"
        assert result.loc[cmoc_id, "verdict"] == expected, cmoc_id
        refined = ((mine["stance"] == "refines").sum() >= 2 and w["refines"] >= 0.2 * sum(w.values()))
        assert result.loc[cmoc_id, "refined"] == ("refined" if refined else "not refined"), cmoc_id
        assert result.loc[cmoc_id, "n_people"] == people and result.loc[cmoc_id, "n_sites"] == n_sites
        assert result.loc[cmoc_id, "n_sources"] == seg["source"].nunique()
    assert (rules.CMOC_MIN_PEOPLE, rules.CMOC_MIN_SITES, rules.CMOC_CONFIRM_SHARE) == (3, 3, 0.75)


def test_the_designed_patterns_come_out_of_the_embedded_data(dataset):
    truth = json.loads((EMBEDDED / "truth.json").read_text())
    result = verdicts(dataset, overall=True).set_index("cmoc_id")
    for cmoc_id, pattern in truth["cmocs"]["designed_pattern"].items():
        if pattern == "supports" and cmoc_id != truth["cmocs"]["sparse_cmoc"]:
            assert result.loc[cmoc_id, "verdict"] == "confirmed", cmoc_id
        if pattern == "refutes":
            assert result.loc[cmoc_id, "verdict"] == "refuted", cmoc_id
        if pattern == "refines":
            assert result.loc[cmoc_id, "refined"] == "refined", cmoc_id
    assert result.loc[truth["cmocs"]["sparse_cmoc"], "verdict"] == "insufficient evidence"


def test_refined_statements_fill_blanks_with_the_initial_wording(dataset):
    table = refined_statements(dataset.cmocs)
    truth = json.loads((EMBEDDED / "truth.json").read_text())["cmocs"]["refined_wording"]
    assert set(table.index[table["has_refinement"]]) == set(truth)
    for cmoc_id, (context, mechanism, outcome) in truth.items():
        row = table.loc[cmoc_id]
        assert row["refined_context"] == (context or row["initial_context"])
        assert row["refined_mechanism"] == (mechanism or row["initial_mechanism"])
        assert row["refined_outcome"] == (outcome or row["initial_outcome"])
    unchanged = table[~table["has_refinement"]]
    assert (unchanged["refined_context"] == unchanged["initial_context"]).all()


def test_contrast_counts_stances_by_site_context(dataset):
    table = contrast(dataset)
    evidence = pd.read_csv(EMBEDDED / "cmoc_evidence.csv", dtype=str)
    segments = pd.read_csv(EMBEDDED / "segments.csv", dtype=str)[["segment_id", "site_id"]]
    sites = pd.read_csv(EMBEDDED / "sites.csv", dtype=str)[["site_id", "employer", "rurality"]]
    cited = evidence.merge(segments, on="segment_id").merge(sites, on="site_id")
    for context in ("employer", "rurality"):
        expected = cited.groupby(["cmoc_id", context, "stance"]).size()
        mine = table[table["context"] == context].set_index(["cmoc_id", "value"])
        for (cmoc_id, value, stance), n in expected.items():
            assert mine.loc[(cmoc_id, value), f"n_{stance}"] == n
        for cmoc_id, rows in mine.groupby(level=0):  # every stance of the CMOC falls in one value
            assert rows[["n_supports", "n_refutes", "n_refines"]].to_numpy().sum() == \
                (evidence["cmoc_id"] == cmoc_id).sum()
    assert set(table["context"]) == {"employer", "imd_quintile", "rurality", "position"}


def test_no_evidence_at_all(dataset):
    table = verdicts(_with_evidence(dataset, []))
    assert len(table) == len(dataset.cmocs) * len(dataset.site_ids)
    assert (table["verdict"] == "no evidence").all()
    assert (table[["n_supports", "n_refutes", "n_refines", "n_people", "n_sources", "n_sites"]] == 0).all().all()


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
