import numpy as np
import pandas as pd
import pytest
from scipy import stats

from helpers.analysis.small_sample import (hedges_gz, hodges_lehmann, hodges_lehmann_level, satterthwaite_df,
                                           signed_rank_exact, signed_rank_p, site_clustered_mean, smallest_wilcoxon_p,
                                           wilcoxon_pratt)


def _scipy_wilcoxon_p(diff, zero_method, correction):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy warns that zeros change the method
        return stats.wilcoxon(diff, zero_method=zero_method, correction=correction).pvalue


@pytest.mark.parametrize("seed", range(6))
def test_signed_rank_p_is_scipys_p_to_the_last_bit(seed):
    # Tied and zero differences of the kinds the questionnaires and GP counts give (whole numbers,
    # halves, rounded scores), n up to 11 where scipy enumerates every sign assignment, and past 13
    # where it uses the normal approximation: the same float, not merely close.
    rng = np.random.default_rng(seed)
    for n in (1, 2, 4, 7, 9, 11, 14, 20):
        kind = (n + seed) % 3
        diff = (rng.integers(-3, 5, n) if kind == 0 else rng.integers(-6, 9, n) / 2 if kind == 1
                else rng.normal(0.5, 2, n).round()).astype(float)
        for zero_method in ("wilcox", "pratt"):
            for correction in (False, True):
                if not np.any(diff != 0):
                    assert np.isnan(signed_rank_p(diff, zero_method, correction))
                    continue
                assert signed_rank_p(diff, zero_method, correction) == _scipy_wilcoxon_p(
                    diff, zero_method, correction), (n, diff, zero_method, correction)


def test_signed_rank_p_at_the_enumeration_limit_and_without_ties():
    rng = np.random.default_rng(40)
    at_limit = rng.integers(-2, 4, 13).astype(float)  # scipy's slowest case: 2^13 assignments
    assert signed_rank_p(at_limit, correction=True) == _scipy_wilcoxon_p(at_limit, "wilcox", True)
    distinct = rng.normal(0.3, 1, 30)  # no ties or zeros: scipy's exact distribution, which is kept
    assert signed_rank_p(distinct) == stats.wilcoxon(distinct).pvalue


def test_signed_rank_p_hand_worked():
    # Differences 1, 1, 2, 0: the zero is dropped, mid-ranks 1.5, 1.5, 3, T+ = 6 (all positive).
    # Of the 8 equally likely sign patterns, T+ >= 6 only for all +, and T+ <= 6 always:
    # two-sided p = 2 min(1/8, 1) = 1/4.
    assert signed_rank_p(np.array([1, 1, 2, 0.0])) == 0.25
    # Pratt ranks the zero first (1) and then drops it: ranks 2.5, 2.5, 4, again one extreme pattern.
    assert signed_rank_p(np.array([1, 1, 2, 0.0]), zero_method="pratt") == 0.25
    # Differences 1, -1, 2: mid-ranks 1.5, 1.5, 3, T+ = 4.5. The 8 patterns give T+ = 0, 1.5, 1.5, 3,
    # 3, 4.5, 4.5, 6: P(T+ >= 4.5) = 3/8, P(T+ <= 4.5) = 7/8, p = 2 * 3/8.
    assert signed_rank_p(np.array([1, -1, 2.0])) == 0.75
    assert np.isnan(signed_rank_p(np.zeros(5)))


def test_hodges_lehmann_hand_worked():
    # differences 1..5: Walsh averages run from 1 to 5 with median 3. With n = 5 no outcome reaches
    # p <= 0.05 (the smallest is 2/32), so the test rejects at 2/32: theta below 1 or above 5 (all
    # signs alike) is rejected, and the interval is min to max. At theta = 3 the differences are
    # -2, -1, 0, 1, 2: four non-zero, the smallest p is 2/16 > 2/32, so the test cannot reject there
    # and the attained level at the estimate is 1.
    assert hodges_lehmann(np.array([1.0, 2, 3, 4, 5])) == pytest.approx((3, 1, 5, 1.0))
    # two differences: Walsh averages 0, 1, 2
    assert hodges_lehmann(np.array([0.0, 2.0]))[0] == pytest.approx(1)


@pytest.mark.parametrize("seed,n", [(1, 9), (2, 14), (3, 25)])
def test_hodges_lehmann_interval_inverts_the_exact_signed_rank_test(seed, n):
    diff = np.random.default_rng(seed).normal(0.7, 1.3, n)  # continuous: no ties
    estimate, low, high, level = hodges_lehmann(diff)
    assert 0.95 <= level < 1
    i, j = np.triu_indices(n)
    assert estimate == pytest.approx(np.median((diff[i] + diff[j]) / 2))

    def p(shift):
        return stats.wilcoxon(diff - shift, method="exact").pvalue

    eps = 1e-9
    assert p(low - eps) <= 0.05 < p(low + eps) + 1e-12
    assert p(high + eps) <= 0.05 < p(high - eps) + 1e-12


@pytest.mark.parametrize("seed,n", [(11, 7), (12, 9)])
def test_signed_rank_exact_with_ties_and_zeros_matches_scipy_permutation(seed, n):
    diff = np.random.default_rng(seed).integers(-3, 5, n).astype(float)  # whole numbers: ties, zeros
    for theta in (0.0, 0.5, 1.0, -1.5, 2.0):
        e = diff - theta
        if not np.any(e != 0):
            continue
        exact = stats.wilcoxon(e, zero_method="pratt", method=stats.PermutationMethod(n_resamples=10**6)).pvalue
        assert signed_rank_exact(e)[0] == pytest.approx(exact, abs=1e-12)


@pytest.mark.parametrize("seed,n", [(21, 8), (22, 10)])
def test_hodges_lehmann_with_ties_is_the_set_the_exact_test_accepts(seed, n):
    # Whole-number differences: the interval holds a shift (on the half-integer grid of the Walsh
    # averages, and the quarter points between) exactly when scipy's exact permutation test of the
    # shifted differences (Pratt zeros) gives p above 0.05.
    diff = np.random.default_rng(seed).integers(-2, 5, n).astype(float)
    _, low, high, _ = hodges_lehmann(diff)
    for theta in np.arange(low - 1, high + 1.25, 0.25):
        e = diff - theta
        p = 1.0 if not np.any(e != 0) else stats.wilcoxon(
            e, zero_method="pratt", method=stats.PermutationMethod(n_resamples=10**6)).pvalue
        inside = low < theta < high or (theta in (low, high) and p > 0.05)
        assert inside == (p > 0.05), theta


def test_hodges_lehmann_level_by_enumerating_the_signs():
    # The attained level at theta: one minus the share of the 2^m equally likely sign patterns of the
    # non-zero d - theta whose two-sided p (by the same enumeration) is at most 0.05.
    diff = np.array([0, 1, 1, 2, 2, 2, 3, -1, 4, 1.0])
    for theta in (0.0, 1.0, 0.5):
        e = diff - theta
        ranks = stats.rankdata(np.abs(e))[e != 0]
        signs = np.array(np.meshgrid(*[[0, 1]] * len(ranks))).reshape(len(ranks), -1).T
        t = signs @ ranks
        centre = ranks.sum() / 2
        p = np.array([(np.abs(t - centre) >= abs(x - centre) - 1e-9).mean() for x in t])
        assert hodges_lehmann_level(diff, theta) == pytest.approx(1 - (p <= 0.05).mean())
        assert hodges_lehmann_level(diff, theta) >= 0.95


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
    # balanced: Satterthwaite's df is K - 1 (Var(mu) is MS_between / N, on K - 1 df)
    assert out["df"] == pytest.approx(6) and not out["boundary"]
    assert out["p"] == pytest.approx(2 * stats.t.sf(abs(change.mean()) / out["se"], 6), rel=1e-3)


def test_satterthwaite_df_balanced_and_unbalanced():
    # Balanced sites: K - 1 whatever the variances, the boundary included.
    for site_variance in (0.0, 0.3, 50.0):
        assert satterthwaite_df([6] * 7, site_variance, 1.0) == pytest.approx(6)
    # Unbalanced, no site variance: df = 2 Var^2 / Var(Var-hat) by the delta method with the REML
    # information of (s2_u, s2_e) written out by hand for two sites of sizes 1 and 3, s2_e = 1.
    sizes = np.array([1, 3, 2])
    df = satterthwaite_df(sizes, 0.0, 1.0)
    n = sizes.sum()
    # at s2_u = 0 the model is iid normal: P = I - J/n; tr(P Z Z' P Z Z') etc. by brute force
    site = np.repeat(np.arange(3), sizes)
    zz = (site[:, None] == site[None, :]).astype(float)
    p = np.eye(n) - np.ones((n, n)) / n
    info = 0.5 * np.array([[np.trace(p @ zz @ p @ zz), np.trace(p @ zz @ p)], [np.trace(p @ p @ zz), np.trace(p @ p)]])
    phi = 1 / n
    grad = np.array([(sizes**2).sum() / n**2, 1 / n])
    assert df == pytest.approx(2 * phi**2 / (grad @ np.linalg.solve(info, grad)))
    assert 0 < df < n - 1


@pytest.mark.parametrize("seed", range(4))
def test_satterthwaite_df_equals_the_dense_reml_information(seed):
    # The site-by-site sums against the information built from the N x N matrices themselves:
    # V = se I + su Z Z', P = V^-1 - V^-1 1 1' V^-1 / (1' V^-1 1), I_jk = tr(P dV_j P dV_k) / 2.
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 12, rng.integers(3, 9))
    su, se = (0.0, 1.3) if seed == 0 else (rng.uniform(0.05, 3), rng.uniform(0.3, 2))
    site = np.repeat(np.arange(len(sizes)), sizes)
    zz = (site[:, None] == site[None, :]).astype(float)
    v_inv = np.linalg.inv(se * np.eye(len(site)) + su * zz)
    ones = np.ones(len(site))
    p = v_inv - np.outer(v_inv @ ones, ones @ v_inv) / (ones @ v_inv @ ones)
    info = 0.5 * np.array([[np.trace(p @ a @ p @ b) for b in (zz, np.eye(len(site)))] for a in (zz, np.eye(len(site)))])
    phi = 1 / (ones @ v_inv @ ones)
    h = 1e-6  # the gradient of phi by central differences
    def phi_at(u, e):
        return 1 / np.sum(sizes / (e + sizes * u))
    grad = np.array([(phi_at(su + h, se) - phi_at(su - h, se)) / (2 * h), (phi_at(su, se + h) - phi_at(su, se - h)) / (2 * h)])
    assert satterthwaite_df(sizes, su, se) == pytest.approx(2 * phi**2 / (grad @ np.linalg.solve(info, grad)), rel=1e-6)


def test_site_clustered_mean_reports_the_boundary_and_needs_three_sites():
    rng = np.random.default_rng(10)
    site = np.repeat(np.arange(6), 8)
    change = rng.normal(1, 1, 48)
    change -= (pd.Series(change).groupby(site).transform("mean") - change.mean()).to_numpy()  # equal site means
    out = site_clustered_mean(pd.Series(change), pd.Series(site))
    assert out["boundary"] and out["site_variance"] < 1e-6
    # At the boundary the model is iid normal: the one-sample t interval, on n - 1 df (not K - 1)
    one_sample = stats.ttest_1samp(change, 0.0)
    assert out["df"] == 47
    assert out["se"] == pytest.approx(change.std(ddof=1) / np.sqrt(48), rel=1e-3)
    assert out["p"] == pytest.approx(one_sample.pvalue, rel=1e-3)
    low, high = one_sample.confidence_interval(0.95)
    assert out["ci95"] == pytest.approx((low, high), rel=1e-3)
    assert np.isnan(site_clustered_mean(pd.Series([1.0, 2, 3, 4]), pd.Series([0, 0, 1, 1]))["estimate"])


def test_site_clustered_mean_at_the_boundary_is_the_one_sample_t_with_unequal_site_means():
    # Site means that differ less than chance would make them (MS_between < MS_within): REML puts
    # the site variance at 0, and the interval is scipy's one-sample t, not MixedLM's Hessian SE.
    rng = np.random.default_rng(21)
    site = np.repeat(np.arange(7), [4, 5, 6, 6, 7, 5, 7])
    for _ in range(50):
        change = rng.normal(0.4, 1.2, len(site))
        out = site_clustered_mean(pd.Series(change), pd.Series(site))
        if out["boundary"]:
            break
    assert out["boundary"]
    one_sample = stats.ttest_1samp(change, 0.0)
    assert out["estimate"] == pytest.approx(change.mean()) and out["df"] == len(change) - 1
    assert out["p"] == pytest.approx(one_sample.pvalue, rel=1e-9)
    assert out["ci95"] == pytest.approx(tuple(one_sample.confidence_interval(0.95)), rel=1e-9)


@pytest.mark.parametrize("seed, n", [(1, 101), (2, 180), (3, 260)])
def test_hodges_lehmann_above_the_exact_limit_inverts_scipys_normal_approximation(seed, n):
    # Above EXACT_SIGNED_RANK_MAX the interval is the set of shifts that scipy's normal-approximation
    # Wilcoxon test (Pratt zeros, tie variance, no continuity correction) does not reject at 5%.
    import warnings

    from scipy import stats

    from helpers.analysis.small_sample import EXACT_SIGNED_RANK_MAX

    assert n > EXACT_SIGNED_RANK_MAX
    rng = np.random.default_rng(seed)
    diff = rng.integers(-4, 7, n).astype(float) if seed % 2 else rng.normal(0.4, 1.5, n).round(1)
    i, j = np.triu_indices(n)
    walsh = np.unique((diff[i] + diff[j]) / 2)
    estimate, low, high, level = hodges_lehmann(diff)
    assert estimate == pytest.approx(np.median((np.sort(diff)[i] + np.sort(diff)[j]) / 2))
    assert level == 0.95 and low in walsh and high in walsh

    def rejected(theta):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return stats.wilcoxon(diff - theta, zero_method="pratt", method="approx", correction=False).pvalue <= 0.05

    grid = np.concatenate([walsh, (walsh[1:] + walsh[:-1]) / 2])
    accepted = grid[[not rejected(t) for t in grid]]
    below, above = walsh[walsh <= accepted.min()], walsh[walsh >= accepted.max()]
    assert (low, high) == (below.max(), above.min())


def test_hodges_lehmann_of_many_whole_number_differences_is_counted_not_listed():
    # 11,000 pairs, as pooled over a national study: 60 million Walsh averages are never listed.
    # Independent check: with whole-number scores the Walsh averages' distribution is the
    # self-convolution of the score counts.
    rng = np.random.default_rng(11)
    diff = rng.integers(-5, 8, 11_000).astype(float)
    values, counts = np.unique(diff, return_counts=True)
    offset = int(values.min())
    c = np.zeros(int(values.max()) - offset + 1)
    c[values.astype(int) - offset] = counts
    pairs = np.convolve(c, c)  # ordered pairs by sum
    pairs[::2] += c  # i == j pairs, counted once more before halving: i <= j pairs
    pairs /= 2
    cumulative, total = np.cumsum(pairs), pairs.sum()
    sums = np.arange(len(pairs)) + 2 * offset
    median = (sums[np.searchsorted(cumulative, (total + 1) // 2)] + sums[np.searchsorted(cumulative, total // 2 + 1)]) / 4
    estimate, low, high, level = hodges_lehmann(diff)
    assert estimate == median and low <= estimate <= high and level == 0.95
