"""Pooled analyses: hand-checked pieces, and recovery of the planted effects on 40 sites."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from helpers.data.dataset import load_dataset
from helpers.analysis.gp_contacts import monthly_trajectory, summarise_windows, window_counts
from helpers.analysis.outcomes import paired_outcomes
from helpers.analysis.scoring import scores
from helpers.synth import write_dataset
from helpers.analysis.synthesis import (attrition, change_by_site_characteristic, patient_changes, site_covariates,
                               trajectory_phases)

from support import EMBEDDED


@pytest.fixture(scope="module")
def forty(tmp_path_factory):
    path = write_dataset(tmp_path_factory.mktemp("forty"), n_sites=40, seed=404)
    return load_dataset(path), json.loads((path / "truth.json").read_text())


def long_scores(rows):
    return pd.DataFrame(rows, columns=["participant_id", "wave", "measure", "value"])


def test_patient_changes_keeps_only_complete_pairs():
    s = long_scores([("a", 1, "ons_happy", 4), ("a", 2, "ons_happy", 7), ("b", 1, "ons_happy", 5),
                     ("c", 2, "ons_happy", 6)])
    people = pd.DataFrame({"participant_id": ["a", "b", "c"], "site_id": ["X", "X", "Y"]})
    out = patient_changes(s, people)
    assert out[["participant_id", "wave1", "wave2", "change", "site_id"]].values.tolist() == [["a", 4, 7, 3, "X"]]


def test_attrition_compares_baseline_with_welch():
    kept, lost = [6, 7, 8, 5], [3, 4, 2]
    rows = [(f"k{i}", 1, "ons_happy", v) for i, v in enumerate(kept)] + \
           [(f"l{i}", 1, "ons_happy", v) for i, v in enumerate(lost)]
    interviews = pd.DataFrame({"participant_id": [f"k{i}" for i in range(4)], "wave": 2})
    ids = pd.Series([r[0] for r in rows])
    row = attrition(long_scores(rows), interviews, ids).set_index("measure").loc["ons_happy"]
    assert (row["n_followed_up"], row["n_lost"]) == (4, 3)
    assert row["difference"] == pytest.approx(6.5 - 3.0)
    assert row["p_welch"] == pytest.approx(stats.ttest_ind(kept, lost, equal_var=False).pvalue)


def test_mixed_model_recovers_a_planted_site_level_difference():
    rng = np.random.default_rng(3)
    rows = []
    for site in range(12):
        employer = site % 2
        site_shift = rng.normal(0, 0.3)
        for patient in range(15):
            wave1 = rng.normal(5, 1)
            wave2 = 1.0 + 0.6 * wave1 + 1.5 * employer + site_shift + rng.normal(0, 1)
            rows.append({"participant_id": f"p{site}-{patient}", "site_id": f"S{site}", "measure": "ons_happy",
                         "wave1": wave1, "wave2": wave2, "change": wave2 - wave1})
    covariates = pd.DataFrame({"employer": [s % 2 for s in range(12)], "imd_quintile": [1 + s % 5 for s in range(12)],
                               "embeddedness": [s % 3 for s in range(12)]}, index=[f"S{s}" for s in range(12)])
    models = change_by_site_characteristic(pd.DataFrame(rows), covariates).set_index(["measure", "covariate"])
    employer = models.loc[("ons_happy", "employer")]
    assert employer["ci95_low"] < 1.5 < employer["ci95_high"]
    assert employer["df"] == 10
    half = (employer["ci95_high"] - employer["ci95_low"]) / 2
    t = employer["estimate"] / (half / stats.t.ppf(0.975, 10))
    assert employer["p"] == pytest.approx(2 * stats.t.sf(abs(t), 10))
    assert employer["estimate"] == pytest.approx(1.5, abs=0.5)


def _reml_random_intercept(y, x, groups):
    """REML for y = a + X b + u_site + e, written out: the variance ratio
    lambda = var(u) / var(e) is found by scipy's bounded scalar search, the rest
    follows in closed form. Returns the last coefficient, its conditional
    standard error and var(u)."""
    from scipy import optimize

    X = np.column_stack([np.ones(len(y)), x])
    n, p = X.shape
    Z = (groups[:, None] == np.unique(groups)[None, :]).astype(float)

    def fit(lam):
        H = np.eye(n) + lam * Z @ Z.T
        Hi = np.linalg.inv(H)
        info = X.T @ Hi @ X
        beta = np.linalg.solve(info, X.T @ Hi @ y)
        resid = y - X @ beta
        s2 = resid @ Hi @ resid / (n - p)
        criterion = (n - p) * np.log(s2) + np.linalg.slogdet(H)[1] + np.linalg.slogdet(info)[1]
        return criterion, beta, s2, info

    best = optimize.minimize_scalar(lambda lam: fit(lam)[0], bounds=(0, 100), method="bounded",
                                    options={"xatol": 1e-10}).x
    lam = best if fit(best)[0] < fit(0.0)[0] else 0.0  # the boundary: no site variance
    _, beta, s2, info = fit(lam)
    return beta[-1], np.sqrt(s2 * np.linalg.inv(info)[-1, -1]), lam * s2


def test_mixed_models_match_an_independent_reml_fit_on_the_embedded_data():
    dataset = load_dataset(EMBEDDED)
    changes = patient_changes(scores(dataset.questionnaires), dataset.participants)
    covariates = site_covariates(dataset)
    models = change_by_site_characteristic(changes, covariates)
    data = changes.join(covariates, on="site_id")
    fitted = models.dropna(subset=["estimate"])
    assert len(fitted) == 15
    for row in fitted.itertuples():
        rows = data[data["measure"] == row.measure].dropna(subset=["wave1", "wave2", row.covariate])
        estimate, se, site_variance = _reml_random_intercept(
            rows["wave2"].to_numpy(float), rows[["wave1", row.covariate]].to_numpy(float),
            rows["site_id"].to_numpy())
        assert row.estimate == pytest.approx(estimate, abs=1e-3)
        assert row.site_variance == pytest.approx(site_variance, abs=1e-3)
        # statsmodels' standard error comes from the joint information of the fixed effects and
        # the variances, this one from the fixed effects alone: close, not equal.
        t = stats.t.ppf(0.975, row.n_sites - 2)
        assert (row.ci95_high - row.ci95_low) / (2 * t) == pytest.approx(se, rel=0.05)


def test_trajectory_phases_average_the_right_months():
    trajectory = pd.DataFrame({"month": [*range(-12, 0), *range(1, 13)], "mean_contacts": [1.0] * 6 + [2.0] * 6 + [0.5] * 12})
    phases = trajectory_phases(trajectory, 6)["mean contacts per patient per month"].tolist()
    assert phases == [1.0, 2.0, 0.5]


# Recovery of the planted effects (truth.json) on a 40-site dataset. Tolerances: the sign of each
# planted change and its ordering by embeddedness level; the pooled mean change within 0.5 points
# (ONS, 0-10) of the planted mean over followed-up patients.

def test_pooled_wellbeing_improves_as_planted(forty):
    dataset, truth = forty
    pooled = paired_outcomes(scores(dataset.questionnaires), "ALL").set_index("measure")
    levels = pd.Series(truth["embeddedness"]["by_site"])
    changes = patient_changes(scores(dataset.questionnaires), dataset.participants)
    for item in ("ons_life_satisfaction", "ons_worthwhile", "ons_happy", "ons_anxious"):
        planted = changes[changes["measure"] == item]["site_id"].map(levels).map(
            lambda level, item=item: truth["wellbeing"]["change_by_level"][level][item]).mean()
        assert pooled.loc[item, "mean_diff"] == pytest.approx(planted, abs=0.5), item
        assert pooled.loc[item, "p_t"] < 0.01
        assert pooled.loc[item, "mean_wave1"] < truth["wellbeing"]["uk_means"][item] - 1 if item != "ons_anxious" \
            else pooled.loc[item, "mean_wave1"] > truth["wellbeing"]["uk_means"][item] + 1
    assert pooled.loc["gse_total", "mean_diff"] > 0


def test_change_is_larger_where_embeddedness_is_belonging(forty):
    dataset, truth = forty
    changes = patient_changes(scores(dataset.questionnaires), dataset.participants)
    changes["level"] = changes["site_id"].map(truth["embeddedness"]["by_site"])
    happy = changes[changes["measure"] == "ons_life_satisfaction"].groupby("level")["change"].mean()
    assert happy["belonging"] > happy["bolted_on"]


def test_gp_contacts_rise_before_referral_so_the_naive_comparison_overstates_the_fall(forty):
    dataset, truth = forty
    meta = dataset.metadata
    counts = window_counts(dataset.gp_contacts, dataset.participants, 6, extract_end=meta.gp_extract_end)
    naive = summarise_windows(counts, "ALL", 6).iloc[0]
    trajectory = monthly_trajectory(dataset.gp_contacts, dataset.participants, 12, 12,
                                    extract_end=meta.gp_extract_end, extract_start=meta.gp_extract_start)
    early, before, after = trajectory_phases(trajectory, 6).iloc[:, 0]
    assert naive["rate_ratio"] < 1 and naive["rr_ci95_high"] < 1
    assert before > early * 1.3  # the planted climb before referral
    assert (early - after) < (before - after)  # so the fall against the early baseline is smaller
    rising = counts[counts["site_id"].isin(truth["gp_contacts"]["rising_sites"])]
    assert summarise_windows(rising, "rising", 6).iloc[0]["rate_ratio"] > 1.1


def test_dropout_is_not_at_random(forty):
    dataset, _ = forty
    table = attrition(scores(dataset.questionnaires), dataset.interviews,
                      dataset.patients["participant_id"]).set_index("measure")
    assert table.loc["ons_life_satisfaction", "difference"] > 0
    assert table.loc["ons_life_satisfaction", "p_welch"] < 0.05
