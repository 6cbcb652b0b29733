"""Per-site measures set side by side in the realist synthesis, and their rank correlations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from support import EMBEDDED
from helpers.data.dataset import load_dataset
from helpers.analysis.site_measures import measures_by_site, spearman


@pytest.fixture(scope="module")
def table():
    return measures_by_site(load_dataset(EMBEDDED))


def test_job_satisfaction_share_counts_the_link_workers_own_segments(table):
    segments = pd.read_csv(EMBEDDED / "segments.csv", dtype=str)
    codings = pd.read_csv(EMBEDDED / "codings.csv", dtype=str)
    people = pd.read_csv(EMBEDDED / "participants.csv", dtype=str)
    link_workers = set(people.loc[people["group"] == "link_worker", "participant_id"])
    own = segments[(segments["source"] == "debrief")
                   | ((segments["source"] == "interview") & segments["participant_id"].isin(link_workers))]
    coded = set(codings.loc[codings["code_id"] == "outcome.job_satisfaction", "segment_id"])
    expected = own.assign(hit=own["segment_id"].isin(coded)).groupby("site_id")["hit"].mean()
    np.testing.assert_allclose(table.loc[expected.index, "job_satisfaction"], expected)


def test_well_being_change_is_the_mean_paired_difference(table):
    answers = pd.read_csv(EMBEDDED / "questionnaires.csv")
    site = answers["participant_id"].str.split("-").str[0]
    wide = answers.assign(site_id=site).pivot_table(index=["site_id", "participant_id"], columns="wave",
                                                    values="ons_happy").dropna()
    expected = (wide[2] - wide[1]).groupby("site_id").mean()
    np.testing.assert_allclose(table.loc[expected.index, "change_ons_happy"], expected)


def test_spearman_matches_scipy_and_refuses_too_little_data():
    frame = pd.DataFrame({"x": [1, 2, 3, 4, 5], "y": [2, 1, 4, 3, 5], "flat": [1, 1, 1, 1, 1],
                          "short": [1, np.nan, np.nan, np.nan, 2]})
    result = spearman(frame, "x", ["y", "flat", "short"])
    assert result.loc["y", "rho"] == pytest.approx(stats.spearmanr(frame["x"], frame["y"]).statistic)
    assert result.loc["y", "n_sites"] == 5
    assert np.isnan(result.loc["flat", "rho"])
    assert np.isnan(result.loc["short", "rho"]) and result.loc["short", "n_sites"] == 2


def test_spearman_over_draws_recomputed_with_pandas():
    from helpers.analysis.site_measures import spearman_over_draws
    rng = np.random.default_rng(2)
    sites = [f"S{i}" for i in range(1, 7)]
    table = pd.DataFrame({"x": rng.normal(size=6), "y": rng.normal(size=6)}, index=sites)
    draws = pd.DataFrame(table["x"].to_numpy() + rng.normal(scale=0.5, size=(300, 6)), columns=sites)
    result = spearman_over_draws(table, draws, "x", ["y"]).loc["y"]
    rhos = [pd.Series(row, index=sites).corr(table["y"], method="spearman") for row in draws.to_numpy()]
    assert result["rho_median"] == pytest.approx(np.median(rhos))
    assert result["rho_low"] == pytest.approx(np.percentile(rhos, 2.5))
    assert result["rho"] == pytest.approx(table["x"].corr(table["y"], method="spearman"))
    assert result["n_draws"] == 300


def test_draws_equal_to_the_estimate_give_back_its_rho():
    from helpers.analysis.site_measures import spearman_over_draws
    table = pd.DataFrame({"x": [0.1, 0.5, -0.2, 0.9], "y": [1.0, 2.0, 0.5, 1.5]}, index=list("abcd"))
    draws = pd.DataFrame([table["x"].to_numpy()] * 5, columns=list("abcd"))
    result = spearman_over_draws(table, draws, "x", ["y"]).loc["y"]
    assert result["rho_low"] == result["rho_median"] == result["rho_high"] == pytest.approx(result["rho"])
