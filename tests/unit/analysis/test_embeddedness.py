"""The continuum of embeddedness: score, bootstrap interval and position, checked against raw
counts and against the level planted by the generator (truth.json, read by tests only)."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from support import EMBEDDED
from helpers.data.dataset import load_dataset, validate_dataset
from helpers.analysis.embeddedness import bootstrap_ci, embeddedness, position
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
    codings = pd.read_csv(EMBEDDED / "codings.csv", dtype=str)
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
    assert bootstrap_ci([1, 1, 1]) == (1.0, 1.0)
    low, high = bootstrap_ci([])
    assert np.isnan(low) and np.isnan(high)
