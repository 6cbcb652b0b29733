"""The continuum of embeddedness: score, participant (cluster) bootstrap interval, distribution,
polarisation and position, checked against raw counts, hand-worked and analytic bootstraps, scipy,
and the levels planted by the generator (truth.json, read by tests only)."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from support import EMBEDDED
from helpers.data.dataset import load_dataset, validate_dataset
from scipy import stats

from helpers.analysis.embeddedness import (cluster_ci, cluster_draws, embeddedness, polarisation, position,
                                           position_draws, position_probabilities)
from helpers.synth import write_dataset

VALUES = {"embeddedness.bolted_on": -1, "embeddedness.fitting_in": 0, "embeddedness.belonging": 1}


@pytest.fixture(scope="module")
def embedded():
    return load_dataset(EMBEDDED)


@pytest.fixture(scope="module")
def forty(tmp_path_factory):
    folder = write_dataset(tmp_path_factory.mktemp("forty"), n_sites=40, seed=7)
    dataset, problems = validate_dataset(folder)
    assert not problems
    return dataset, json.loads((folder / "truth.json").read_text())


def _truth(folder) -> dict:
    return json.loads((folder / "truth.json").read_text())


def test_positions_match_the_planted_levels_of_the_embedded_data(embedded):
    planted = _truth(EMBEDDED)["embeddedness"]["by_site"]
    result = embeddedness(embedded).set_index("site_id")
    assert result["position"].to_dict() == planted


def test_positions_match_the_planted_levels_of_a_40_site_dataset(forty):
    dataset, truth = forty
    result = embeddedness(dataset).set_index("site_id")
    assert len(result) == 40
    assert result["position"].to_dict() == truth["embeddedness"]["by_site"]


def test_score_and_segment_count_match_a_count_of_the_raw_files():
    segments = pd.read_csv(EMBEDDED / "segments.csv", dtype=str)
    codings = pd.read_csv(EMBEDDED / "codings.csv", dtype=str).drop_duplicates(["segment_id", "code_id"])
    coded = codings[codings["code_id"].isin(VALUES)].merge(segments[["segment_id", "site_id"]], on="segment_id")
    coded["value"] = coded["code_id"].map(VALUES)
    per_segment = coded.groupby(["site_id", "segment_id"])["value"].mean()
    expected = per_segment.groupby("site_id").agg(["mean", "size"])
    result = embeddedness(load_dataset(EMBEDDED)).set_index("site_id")
    assert result["n_segments"].to_dict() == expected["size"].to_dict()
    np.testing.assert_allclose(result.loc[expected.index, "score"], expected["mean"])


def test_interval_is_deterministic_contains_the_score_and_stays_in_range(embedded):
    first, second = embeddedness(embedded), embeddedness(embedded)
    pd.testing.assert_frame_equal(first, second)
    assert (first["ci95_low"] <= first["score"]).all() and (first["score"] <= first["ci95_high"]).all()
    assert (first["ci95_low"] >= -1).all() and (first["ci95_high"] <= 1).all()
    assert (first["ci95_high"] > first["ci95_low"]).all()  # every site has mixed levels


def test_a_site_does_not_depend_on_the_other_sites(embedded):
    alone = embeddedness(embedded.for_site("S3")).iloc[0]
    together = embeddedness(embedded).set_index("site_id").loc["S3"]
    assert alone["ci95_low"] == together["ci95_low"] and alone["ci95_high"] == together["ci95_high"]


def test_a_site_without_embeddedness_segments_has_no_evidence(embedded):
    codings = embedded.codings[~embedded.codings["code_id"].str.startswith("embeddedness.")
                               | ~embedded.codings["segment_id"].str.startswith("S2-")]
    result = embeddedness(replace(embedded, tables={**embedded.tables, "codings": codings})).set_index("site_id")
    row = result.loc["S2"]
    assert row["n_segments"] == 0 and row["position"] == "no evidence"
    assert np.isnan(row["score"]) and np.isnan(row["ci95_low"]) and np.isnan(row["ci95_high"])
    assert result.loc["S1", "position"] == _truth(EMBEDDED)["embeddedness"]["by_site"]["S1"]  # others unchanged


@pytest.mark.parametrize("score, expected", [
    (-1.0, "bolted_on"), (-0.34, "bolted_on"), (-1 / 3, "fitting_in"), (0.0, "fitting_in"),
    (1 / 3, "fitting_in"), (0.34, "belonging"), (1.0, "belonging"), (float("nan"), "no evidence"),
])
def test_position_thresholds(score, expected):
    assert position(score) == expected


def test_a_mean_of_exactly_one_third_is_fitting_in():
    values = [1, 0, 0] * 4  # mean 1/3 computed from data, on the boundary
    assert position(np.mean(values)) == "fitting_in"


def test_bootstrap_of_identical_values_is_a_point_and_of_nothing_is_nan():
    assert cluster_ci([1, 1, 1], ["a", "b", "a"]) == (1.0, 1.0)
    low, high = cluster_ci([], [])
    assert np.isnan(low) and np.isnan(high)


def test_two_people_at_opposite_ends_give_the_whole_range():
    # Hand-worked: resampling 2 people gives AA, AB, BA, BB: means +1, 0, 0, -1 with chances 1/4, 1/2, 1/4,
    # so the 2.5th and 97.5th percentiles are -1 and +1. Resampling the 20 segments would give about +-0.45.
    values = [1.0] * 10 + [-1.0] * 10
    people = ["A"] * 10 + ["B"] * 10
    assert cluster_ci(values, people, samples=4000) == (-1.0, 1.0)
    means = cluster_draws(values, people, samples=20000)
    np.testing.assert_allclose([np.mean(means == 1), np.mean(means == 0), np.mean(means == -1)],
                               [0.25, 0.5, 0.25], atol=0.015)


def test_one_segment_per_person_agrees_with_scipys_bootstrap():
    rng = np.random.default_rng(3)
    values = rng.choice([-1.0, 0.0, 1.0], size=40, p=[0.2, 0.5, 0.3])
    ours = cluster_ci(values, [f"p{i}" for i in range(40)], samples=20000)
    theirs = stats.bootstrap((values,), np.mean, n_resamples=20000, method="percentile", random_state=4)
    np.testing.assert_allclose(ours, (theirs.confidence_interval.low, theirs.confidence_interval.high), atol=0.03)


def test_bootstrap_variance_matches_the_analytic_variance_of_equal_clusters():
    # C people with m segments each: the bootstrap mean is the mean of C resampled person means, whose
    # variance is var(person means, divisor C) / C.
    rng = np.random.default_rng(11)
    person_means = rng.uniform(-1, 1, size=12)
    values = np.repeat(person_means, 5) + np.tile([-0.1, -0.05, 0, 0.05, 0.1], 12)
    people = np.repeat([f"p{i}" for i in range(12)], 5)
    draws = cluster_draws(values, people, samples=40000)
    expected = np.var(values.reshape(12, 5).mean(axis=1)) / 12
    assert draws.var() == pytest.approx(expected, rel=0.04)


def test_resampling_people_widens_the_interval_of_the_embedded_data(embedded):
    # The link worker contributes most segments: the participant interval must be wider than a segment
    # bootstrap (computed here with scipy) at most sites.
    from helpers.analysis.embeddedness import coded_segments
    scored = coded_segments(embedded)
    result = embeddedness(embedded).set_index("site_id")
    wider = 0
    for site_id, rows in scored.groupby("site_id"):
        seg = stats.bootstrap((rows["score"].to_numpy(),), np.mean, n_resamples=4000, method="percentile",
                              random_state=1).confidence_interval
        wider += (result.loc[site_id, "ci95_high"] - result.loc[site_id, "ci95_low"]) > (seg.high - seg.low)
    assert wider >= len(result) - 1
    assert (result["n_people"] < result["n_segments"]).all()


def test_shares_and_polarisation_against_a_count_of_the_raw_files(embedded):
    segments = pd.read_csv(EMBEDDED / "segments.csv", dtype=str)
    codings = pd.read_csv(EMBEDDED / "codings.csv", dtype=str).drop_duplicates(["segment_id", "code_id"])
    coded = codings[codings["code_id"].isin(VALUES)].merge(segments[["segment_id", "site_id"]], on="segment_id")
    coded["weight"] = 1 / coded.groupby("segment_id")["code_id"].transform("size")
    coded["value"] = coded["code_id"].map(VALUES)
    result = embeddedness(embedded).set_index("site_id")
    for site_id, rows in coded.groupby("site_id"):
        n = rows["segment_id"].nunique()
        for code, level in (("embeddedness.bolted_on", "bolted_on"), ("embeddedness.belonging", "belonging")):
            assert result.loc[site_id, f"share_{level}"] == pytest.approx(rows.loc[rows["code_id"] == code,
                                                                                   "weight"].sum() / n)
        scores = rows.groupby("segment_id")["value"].mean()
        assert result.loc[site_id, "polarisation"] == pytest.approx(np.var(scores))
    shares = result[["share_bolted_on", "share_fitting_in", "share_belonging"]].sum(axis=1)
    np.testing.assert_allclose(shares, 1.0)


def test_polarisation_ends():
    assert polarisation([0, 0, 0]) == 0 and polarisation([-1, 1, -1, 1]) == 1


@pytest.mark.parametrize("folder_kind", ["embedded", "forty"])
def test_split_sites_are_the_planted_ones(folder_kind, embedded, forty):
    dataset, truth = (embedded, _truth(EMBEDDED)) if folder_kind == "embedded" else forty
    result = embeddedness(dataset).set_index("site_id")
    assert sorted(result.index[result["split"]]) == sorted(truth["embeddedness"]["split_sites"])
    assert truth["embeddedness"]["split_sites"]  # the design has one in every 7 sites
    assert (result.loc[result["split"], "position"] == "fitting_in").all()


def test_position_draws_are_the_interval_draws_and_probabilities_sum_to_one(embedded):
    draws = position_draws(embedded, samples=4000)
    result = embeddedness(embedded).set_index("site_id")
    low, high = np.percentile(draws.to_numpy(), [2.5, 97.5], axis=0)
    np.testing.assert_allclose(low, result.loc[draws.columns, "ci95_low"])
    np.testing.assert_allclose(high, result.loc[draws.columns, "ci95_high"])
    probabilities = position_probabilities(draws)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    # a site whose 95% interval lies in one zone is placed there in at least 97.5% of draws
    inside = result[(result["ci95_low"] > 1 / 3) | (result["ci95_high"] < -1 / 3)]
    for site_id, row in inside.iterrows():
        assert probabilities.loc[site_id, row["position"]] >= 0.975
