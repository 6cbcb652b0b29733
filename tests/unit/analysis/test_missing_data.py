import numpy as np
import pandas as pd
import pytest
from scipy import stats

from helpers.analysis.missing_data import (COLUMNS, DELTAS, complete_case, imputed_changes,
                                           inverse_probability_weighted, missing_data_estimates, rubin)


def _data(wave1, wave2):
    return pd.DataFrame({"wave1": np.asarray(wave1, float), "wave2": np.asarray(wave2, float)})


def test_complete_case_is_the_paired_t_interval():
    data = _data([3, 4, 5, 6, 2, 7], [4, 6, np.nan, 6, 5, np.nan])
    change = np.array([1, 2, 0, 3.0])
    low, high = stats.t.interval(0.95, 3, loc=change.mean(), scale=stats.sem(change))
    assert complete_case(data) == pytest.approx((change.mean(), low, high))


def test_ipw_with_a_binary_baseline_standardises_over_the_strata():
    # Baseline 0 or 1: the logistic model is saturated, so P(followed) is each stratum's share
    # and the weighted mean is the strata's observed mean changes weighted by stratum size.
    wave1 = [0] * 6 + [1] * 4
    wave2 = [1, 2, 0, np.nan, np.nan, np.nan, 4, 2, 3, np.nan]  # changes 1,2,0 | 3,1,2
    est, low, high = inverse_probability_weighted(_data(wave1, wave2))
    assert est == pytest.approx((6 * 1.0 + 4 * 2.0) / 10)
    assert low < est < high


@pytest.mark.parametrize("seed,n", [(4, 35), (8, 22), (11, 300)])  # 300: more than one chunk of fits
def test_ipw_jackknife_refits_the_propensity_model_leaving_out_each_patient(seed, n):
    # Independent computation: n statsmodels Logit fits, each without one patient.
    from statsmodels.discrete.discrete_model import Logit

    rng = np.random.default_rng(seed)
    wave1 = rng.integers(0, 11, n).astype(float)
    followed = rng.random(n) < 1 / (1 + np.exp(-(wave1 - 5) / 3 - 0.5))
    wave2 = np.where(followed, wave1 + rng.normal(0.5, 1.5, n), np.nan)
    exog = np.column_stack([np.ones(n), wave1])
    change = np.where(followed, wave2 - wave1, 0.0)

    def hajek(rows):
        p = Logit(followed[rows].astype(float), exog[rows]).fit(disp=0).predict(exog[rows])
        w = followed[rows] / p
        return (w * change[rows]).sum() / w.sum()

    loo = np.array([hajek(np.delete(np.arange(n), j)) for j in range(n)])
    se = np.sqrt((n - 1) / n * ((loo - loo.mean()) ** 2).sum())
    est = hajek(np.arange(n))
    half = stats.t.ppf(0.975, followed.sum() - 1) * se
    assert inverse_probability_weighted(_data(wave1, wave2)) == pytest.approx((est, est - half, est + half), rel=1e-8)


def test_leave_one_out_fits_do_not_depend_on_how_many_are_solved_at_once():
    from statsmodels.discrete.discrete_model import Logit

    from helpers.analysis.missing_data import _leave_one_out_means

    rng = np.random.default_rng(3)
    wave1 = rng.integers(0, 11, 60).astype(float)
    followed = (rng.random(60) < 0.6).astype(float)
    exog = np.column_stack([np.ones(60), wave1])
    y = np.where(followed > 0, rng.normal(0.5, 1.5, 60), 0.0)
    start = Logit(followed, exog).fit(disp=0).params
    one_at_a_time, all_at_once = (_leave_one_out_means(exog, followed, y, start, chunk=c) for c in (1, 60))
    assert one_at_a_time == pytest.approx(all_at_once, rel=1e-10)
    assert _leave_one_out_means(exog, followed, y, start, chunk=7) == pytest.approx(all_at_once, rel=1e-10)


def test_multiple_imputation_approaches_regression_imputation_and_rubin_rules():
    rng = np.random.default_rng(4)
    wave1 = rng.normal(5, 2, 80)
    wave2 = 1 + 0.8 * wave1 + rng.normal(0, 1, 80)
    wave2[rng.random(80) < 0.35] = np.nan
    data = _data(wave1, wave2)
    observed = ~np.isnan(wave2)
    slope, intercept = np.polyfit(wave1[observed], wave2[observed], 1)
    filled = np.where(observed, wave2, intercept + slope * wave1)
    means, variances, lost = imputed_changes(data, imputations=2000, seed=1)
    assert lost.sum() == (~observed).sum()
    assert means.mean() == pytest.approx((filled - wave1).mean(), abs=0.02)
    # Rubin's rules written out (Barnard-Rubin df, complete-data df n - 1)
    m, n = 5, 80
    q, u = np.array([1.0, 1.2, 0.9, 1.1, 1.05]), np.full(5, 0.04)
    b = q.var(ddof=1)
    t = u.mean() + (1 + 1 / m) * b
    lam = (1 + 1 / m) * b / t
    nu = 1 / (lam**2 / (m - 1) + 1 / ((n - 1 + 1) / (n - 1 + 3) * (n - 1) * (1 - lam)))
    half = stats.t.ppf(0.975, nu) * np.sqrt(t)
    assert rubin(q, u, n) == pytest.approx((q.mean(), q.mean() - half, q.mean() + half))
    assert rubin(np.ones(4), np.full(4, 0.01), 30)[2] == pytest.approx(1 + stats.t.ppf(0.975, 29) * 0.1)


def _scores(rows):
    return pd.DataFrame(rows, columns=["participant_id", "measure", "wave", "value"])


def test_table_delta_rows_and_tipping_shift():
    rng = np.random.default_rng(8)
    rows = []
    for i in range(60):
        for measure in ("ons_life_satisfaction", "ons_worthwhile", "ons_happy", "ons_anxious", "gse_total"):
            w1 = rng.normal(5, 1.5)
            rows.append((f"P{i}", measure, 1, w1))
            if i % 3:  # a third lost
                rows.append((f"P{i}", measure, 2, w1 + (-1 if measure == "ons_anxious" else 1) + rng.normal(0, 1)))
    table = missing_data_estimates(_scores(rows))
    assert list(table.columns) == list(COLUMNS)
    methods = ["complete_case", "ipw", "multiple_imputation", *[f"delta_{d:g}" for d in DELTAS]]
    for measure, part in table.groupby("measure", sort=False):
        part = part.set_index("method")
        assert list(part.index) == methods
        mi = part.loc["multiple_imputation"]
        share = 1 - part["n_followed_up"].iloc[0] / part["n_baseline"].iloc[0]
        sign = 1 if measure == "ons_anxious" else -1
        for d in DELTAS:
            row = part.loc[f"delta_{d:g}"]
            assert row["estimate"] == pytest.approx(mi["estimate"] + sign * d * share)
            assert row["ci95_high"] - row["ci95_low"] == pytest.approx(mi["ci95_high"] - mi["ci95_low"])
        tip = part["tipping_shift"].iloc[0]
        assert tip > 0
        # at the tipping shift the interval's bound nearer zero is zero
        bound = (mi["ci95_high"] if sign > 0 else mi["ci95_low"]) + sign * tip * share
        assert bound == pytest.approx(0, abs=1e-9)
    assert (table["n_baseline"] == 60).all() and (table["n_followed_up"] == 40).all()
