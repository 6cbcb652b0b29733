import numpy as np
import pandas as pd
import pytest
from scipy import stats

from helpers.analysis.small_sample import (hedges_gz, hodges_lehmann, site_clustered_mean, smallest_wilcoxon_p,
                                           wilcoxon_pratt)


def test_hodges_lehmann_hand_worked():
    # differences 1..5: Walsh averages run from 1 to 5 with median 3; with n = 5 the exact
    # signed-rank distribution has P(T+ = 0) = 1/32 > 0.025, so the interval is min to max.
    assert hodges_lehmann(np.array([1.0, 2, 3, 4, 5])) == pytest.approx((3, 1, 5))
    # two differences: Walsh averages 0, 1, 2
    assert hodges_lehmann(np.array([0.0, 2.0]))[0] == pytest.approx(1)


@pytest.mark.parametrize("seed,n", [(1, 9), (2, 14), (3, 25)])
def test_hodges_lehmann_interval_inverts_the_exact_signed_rank_test(seed, n):
    diff = np.random.default_rng(seed).normal(0.7, 1.3, n)  # continuous: no ties
    estimate, low, high = hodges_lehmann(diff)
    i, j = np.triu_indices(n)
    assert estimate == pytest.approx(np.median((diff[i] + diff[j]) / 2))

    def p(shift):
        return stats.wilcoxon(diff - shift, method="exact").pvalue

    eps = 1e-9
    assert p(low - eps) <= 0.05 < p(low + eps) + 1e-12
    assert p(high + eps) <= 0.05 < p(high - eps) + 1e-12


def test_hedges_gz_correction_and_interval():
    diff = np.array([1.0, 2, 3, 4, 5])
    g, low, high = hedges_gz(diff)
    d = 3 / np.sqrt(2.5)
    assert g == pytest.approx(d * (1 - 3 / (4 * 4 - 1)))  # J = 0.8 at n = 5
    t = d * np.sqrt(5)
    assert stats.nct.sf(t, 4, low * np.sqrt(5)) == pytest.approx(0.025, abs=1e-8)
    assert stats.nct.cdf(t, 4, high * np.sqrt(5)) == pytest.approx(0.025, abs=1e-8)
    assert np.isnan(hedges_gz(np.ones(4))[0])


def test_hedges_gz_interval_covers_by_simulation():
    rng = np.random.default_rng(5)
    delta, n, reps = 0.6, 8, 400
    hits = 0
    for _ in range(reps):
        _, low, high = hedges_gz(rng.normal(delta, 1, n))
        hits += low <= delta <= high
    assert 0.92 <= hits / reps <= 0.98


def test_pratt_zero_handling_and_smallest_p():
    diff = np.array([0, 0, 1, 2, -1, 3, 4, 2, 5, 0, 3, 1, 0, 0, -2, 1, 0, 2, -1, 1.0])
    assert wilcoxon_pratt(diff) == pytest.approx(stats.wilcoxon(diff, zero_method="pratt").pvalue)
    assert wilcoxon_pratt(diff) != pytest.approx(stats.wilcoxon(diff).pvalue)
    assert smallest_wilcoxon_p(np.array([0, 1, 2, 3, 4, 5.0])) == pytest.approx(0.0625)
    assert smallest_wilcoxon_p(np.array([1, 2, 3, 4, 5, 6.0])) == pytest.approx(0.03125)
    assert smallest_wilcoxon_p(np.array([2, 3, 4, 5, 6.0])) == stats.wilcoxon([2, 3, 4, 5, 6.0]).pvalue
    assert np.isnan(wilcoxon_pratt(np.zeros(6))) and np.isnan(smallest_wilcoxon_p(np.zeros(3)))


def test_site_clustered_mean_matches_the_balanced_one_way_anova():
    # Balanced sites, REML, site variance above zero: the estimate is the grand mean and
    # its variance is MS_between / N (N patients).
    rng = np.random.default_rng(9)
    k, m = 7, 6
    site = np.repeat(np.arange(k), m)
    change = rng.normal(0, 1.0, k)[site] + rng.normal(1.0, 1.0, k * m)
    out = site_clustered_mean(pd.Series(change), pd.Series(site))
    site_means = change.reshape(k, m).mean(axis=1)
    ms_between = m * site_means.var(ddof=1)
    ms_within = ((change.reshape(k, m) - site_means[:, None]) ** 2).sum() / (k * (m - 1))
    assert ms_between > ms_within
    assert out["estimate"] == pytest.approx(change.mean(), abs=1e-6)
    assert out["se"] == pytest.approx(np.sqrt(ms_between / (k * m)), rel=1e-3)
    half = stats.t.ppf(0.975, k - 1) * out["se"]
    assert out["ci95"] == pytest.approx((change.mean() - half, change.mean() + half), rel=1e-3)
    assert out["df"] == 6 and not out["boundary"]


def test_site_clustered_mean_reports_the_boundary_and_needs_three_sites():
    rng = np.random.default_rng(10)
    site = np.repeat(np.arange(6), 8)
    change = rng.normal(1, 1, 48)
    change -= (pd.Series(change).groupby(site).transform("mean") - change.mean()).to_numpy()  # equal site means
    out = site_clustered_mean(pd.Series(change), pd.Series(site))
    assert out["boundary"] and out["site_variance"] < 1e-6
    assert np.isnan(site_clustered_mean(pd.Series([1.0, 2, 3, 4]), pd.Series([0, 0, 1, 1]))["estimate"])
