import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from helpers.analysis.outcomes import COLUMNS, MIN_PAIRS, paired_outcomes
from helpers.analysis.scoring import MEASURES


def _scores(wave1, wave2, measure="ons_happy"):
    """Long scores for one measure; None leaves that wave out for that patient."""
    rows = [
        (f"P{i}", wave, measure, value)
        for i, pair in enumerate(zip(wave1, wave2))
        for wave, value in zip((1, 2), pair)
        if value is not None
    ]
    return pd.DataFrame(rows, columns=["participant_id", "wave", "measure", "value"])


def _row(out, measure="ons_happy"):
    return out.set_index("measure").loc[measure]


def test_shape_order_and_labels():
    out = paired_outcomes(_scores([1, 2], [3, 4]), "S1")
    assert list(out.columns) == list(COLUMNS)
    assert list(out["measure"]) == list(MEASURES)
    assert (out["site_id"] == "S1").all()
    assert (out["effect_size_kind"] == "cohen_dz").all()
    assert out.set_index("measure")["n_pairs"].to_dict() == {m: (2 if m == "ons_happy" else 0) for m in MEASURES}


def test_hand_worked_example():
    # differences 1..5: mean 3, SD sqrt(2.5); every difference positive, so
    # the exact two-sided signed-rank p is 2 / 2**5.
    out = _row(paired_outcomes(_scores([5, 5, 5, 5, 5], [6, 7, 8, 9, 10]), "S1"))
    assert out["n_pairs"] == 5
    assert (out["mean_wave1"], out["mean_wave2"], out["mean_diff"]) == (5, 8, 3)
    half = 2.7764451051977987 * np.sqrt(2.5) / np.sqrt(5)  # t(0.975, 4 df)
    assert out["ci95_low"] == pytest.approx(3 - half)
    assert out["ci95_high"] == pytest.approx(3 + half)
    t = 3 / (np.sqrt(2.5) / np.sqrt(5))
    assert out["p_t"] == pytest.approx(2 * stats.t.sf(t, 4))
    assert out["p_wilcoxon"] == pytest.approx(0.0625)
    assert out["effect_size"] == pytest.approx(3 / np.sqrt(2.5))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_matches_scipy_on_random_ordinal_data(seed):
    rng = np.random.default_rng(seed)
    n = 25
    w1 = rng.integers(0, 11, n).astype(float)
    w2 = np.clip(w1 + rng.integers(-3, 4, n), 0, 10)  # ties and zero differences, as in real ONS4 data
    out = _row(paired_outcomes(_scores(w1, w2, "ons_anxious"), "ALL"), "ons_anxious")
    diff = w2 - w1
    assert out["n_pairs"] == n
    assert out["mean_diff"] == pytest.approx(diff.mean())
    low, high = stats.t.interval(0.95, n - 1, loc=diff.mean(), scale=stats.sem(diff))
    assert (out["ci95_low"], out["ci95_high"]) == pytest.approx((low, high))
    assert out["p_t"] == pytest.approx(stats.ttest_rel(w2, w1).pvalue)
    # pingouin applies the continuity correction of the normal approximation
    assert out["p_wilcoxon"] == pytest.approx(stats.wilcoxon(w2, w1, correction=True).pvalue)
    assert out["effect_size"] == pytest.approx(diff.mean() / diff.std(ddof=1))


def test_wilcoxon_small_sample_with_ties_and_zeros():
    # n <= 13 with ties and zeros: SciPy's exhaustive permutation distribution
    w1 = [5, 6, 7, 5, 4, 8, 6, 5]
    w2 = [6, 6, 9, 7, 5, 6, 8, 6]
    out = _row(paired_outcomes(_scores(w1, w2), "S1"))
    assert out["p_wilcoxon"] == pytest.approx(stats.wilcoxon(w2, w1).pvalue)


def test_effect_sign_follows_wave2_minus_wave1():
    out = _row(paired_outcomes(_scores([6, 7, 8, 6, 9, 7], [3, 5, 4, 4, 6, 2], "ons_anxious"), "S1"), "ons_anxious")
    assert out["mean_diff"] < 0 and out["effect_size"] < 0 and out["ci95_high"] < 0


def test_only_complete_pairs_count():
    # P5 has no wave 2 and P6 no wave 1: neither is a pair, nor in the means.
    out = _row(paired_outcomes(_scores([1, 2, 3, 4, 5, 9, None], [2, 2, 5, 4, 8, None, 0]), "S1"))
    assert out["n_pairs"] == 5
    assert out["mean_wave1"] == pytest.approx(3.0)
    assert out["mean_wave2"] == pytest.approx(4.2)
    assert out["p_t"] == pytest.approx(stats.ttest_rel([2, 2, 5, 4, 8], [1, 2, 3, 4, 5]).pvalue)


@pytest.mark.parametrize("n", [0, 1, MIN_PAIRS - 1])
def test_small_samples_give_means_but_no_inference(n):
    out = _row(paired_outcomes(_scores(list(range(n)), [v + (v % 3) for v in range(n)]), "S1"))
    assert out["n_pairs"] == n
    if n:
        assert out["mean_wave1"] == pytest.approx(np.mean(range(n)))
    else:
        assert np.isnan(out["mean_wave1"])
    assert out[["ci95_low", "ci95_high", "p_t", "p_wilcoxon", "effect_size"]].isna().all()


def test_no_spread_in_differences():
    same = _row(paired_outcomes(_scores([3, 4, 5, 6, 7], [3, 4, 5, 6, 7]), "S1"))
    assert same["mean_diff"] == 0
    assert same[["ci95_low", "ci95_high", "p_t", "p_wilcoxon", "effect_size"]].isna().all()
    # every difference +1: the t-based results are undefined but the signed-rank test is not
    shifted = _row(paired_outcomes(_scores([3, 4, 5, 6, 7, 8], [4, 5, 6, 7, 8, 9]), "S1"))
    assert shifted[["ci95_low", "ci95_high", "p_t", "effect_size"]].isna().all()
    assert shifted["p_wilcoxon"] == pytest.approx(2 / 2**6)


def test_empty_scores():
    empty = pd.DataFrame(columns=["participant_id", "wave", "measure", "value"])
    out = paired_outcomes(empty, "S1")
    assert list(out["measure"]) == list(MEASURES)
    assert (out["n_pairs"] == 0).all()


def test_without_tests_the_means_and_interval_are_unchanged():
    rng = np.random.default_rng(5)
    rows = [(f"p{i}", wave, "ons_happy", float(v)) for i in range(12)
            for wave, v in ((1, rng.integers(0, 11)), (2, rng.integers(0, 11)))]
    s = pd.DataFrame(rows, columns=["participant_id", "wave", "measure", "value"])
    full = paired_outcomes(s, "X").set_index("measure").loc["ons_happy"]
    quick = paired_outcomes(s, "X", tests=False).set_index("measure").loc["ons_happy"]
    for column in ("n_pairs", "mean_wave1", "mean_wave2", "mean_diff", "ci95_low", "ci95_high"):
        assert quick[column] == full[column]
    assert np.isnan(quick["p_t"]) and np.isnan(quick["p_wilcoxon"]) and np.isnan(quick["effect_size"])


def _holm(p):
    p = np.asarray(p, float)
    order = np.argsort(p)
    adjusted = np.maximum.accumulate((len(p) - np.arange(len(p))) * p[order])
    out = np.empty_like(p)
    out[order] = np.minimum(adjusted, 1)
    return out


def _bh(p):
    p = np.asarray(p, float)
    m = len(p)
    order = np.argsort(p)[::-1]
    adjusted = np.minimum.accumulate(p[order] * m / (m - np.arange(m)))
    out = np.empty_like(p)
    out[order] = np.minimum(adjusted, 1)
    return out


def test_multiplicity_holm_for_the_primary_family_and_bh_for_the_rest():
    from helpers.analysis.outcomes import adjust_p_values
    from helpers.analysis.rules import PRIMARY_OUTCOMES
    from helpers.analysis.scoring import MEASURES

    p = pd.Series([0.0495, 0.01, 0.03, 0.2, 0.04])
    measures = pd.Series(MEASURES)
    holm, bh = adjust_p_values(p, measures, pooled=True)
    primary = measures.isin(PRIMARY_OUTCOMES).to_numpy()
    assert primary.sum() == len(PRIMARY_OUTCOMES) >= 1
    np.testing.assert_allclose(holm[primary], _holm(p[primary]))
    np.testing.assert_allclose(bh[~primary], _bh(p[~primary]))
    assert holm[~primary].isna().all() and bh[primary].isna().all()
    # two primary outcomes at 0.0495 and 0.04: Holm gives 0.08 and 0.08 (2 x 0.04, then max(0.0495, 0.08))
    if list(measures[primary]) == ["ons_life_satisfaction", "gse_total"]:
        assert holm[primary].tolist() == pytest.approx([0.08, 0.08])
    site_holm, site_bh = adjust_p_values(pd.Series([0.01, np.nan, 0.03, 0.04, 0.5]), measures, pooled=False)
    assert site_holm.isna().all() and np.isnan(site_bh[1])
    np.testing.assert_allclose(site_bh.dropna(), _bh([0.01, 0.03, 0.04, 0.5]))


def test_paired_outcomes_carry_the_adjusted_columns():
    rng = np.random.default_rng(3)
    rows = []
    for i in range(12):
        for measure in ("ons_life_satisfaction", "ons_worthwhile", "ons_happy", "ons_anxious", "gse_total"):
            base = rng.normal(5, 1)
            rows += [(f"P{i}", measure, 1, base), (f"P{i}", measure, 2, base + rng.normal(0.5, 1))]
    scores = pd.DataFrame(rows, columns=["participant_id", "measure", "wave", "value"])
    pooled = paired_outcomes(scores, "ALL", tests=True).set_index("measure")
    assert pooled.loc["ons_life_satisfaction", "p_holm"] >= pooled.loc["ons_life_satisfaction", "p_t"]
    assert pd.isna(pooled.loc["ons_happy", "p_holm"]) and pooled.loc["ons_happy", "q_bh"] >= pooled.loc["ons_happy", "p_t"]
    site = paired_outcomes(scores, "S1", tests=True)
    assert site["p_holm"].isna().all() and site["q_bh"].notna().all()


def test_pooled_rows_with_sites_adjust_the_site_aware_p():
    # With sites, the headline p of a pooled row is the random-intercept one (site_p): Holm over the
    # primary family and BH over the rest are applied to it, not to the t-test that ignores sites.
    rng = np.random.default_rng(8)
    rows, sites = [], {}
    for i in range(36):
        sites[f"P{i}"] = f"S{i % 6}"
        shift = [-0.6, 0.1, 0.9, 0.4, -0.2, 1.2][i % 6]
        for measure in ("ons_life_satisfaction", "ons_worthwhile", "ons_happy", "ons_anxious", "gse_total"):
            base = rng.normal(5, 1)
            rows += [(f"P{i}", measure, 1, base), (f"P{i}", measure, 2, base + shift + rng.normal(0.3, 1))]
    scores = pd.DataFrame(rows, columns=["participant_id", "measure", "wave", "value"])
    pooled = paired_outcomes(scores, "ALL", tests=True, sites=pd.Series(sites)).set_index("measure")
    assert pooled["site_p"].notna().all() and (pooled["site_p"] != pooled["p_t"]).all()
    primary = ["ons_life_satisfaction", "gse_total"]
    np.testing.assert_allclose(pooled.loc[primary, "p_holm"],
                               multipletests(pooled.loc[primary, "site_p"], method="holm")[1])
    rest = ["ons_worthwhile", "ons_happy", "ons_anxious"]
    np.testing.assert_allclose(pooled.loc[rest, "q_bh"], multipletests(pooled.loc[rest, "site_p"], method="fdr_bh")[1])
    # site_p is the random-intercept mean's t-test on its Satterthwaite df
    r = pooled.loc["gse_total"]
    se = (r["site_ci95_high"] - r["site_ci95_low"]) / 2 / stats.t.ppf(0.975, r["site_df"])
    assert r["site_p"] == pytest.approx(2 * stats.t.sf(abs(r["site_estimate"]) / se, r["site_df"]), rel=1e-6)


def test_a_national_number_of_pairs_gives_its_tests_without_warnings():
    """Pooled over 1,250 sites (about 11,000 pairs), a t near 39.5 overflows pingouin's Bayes factor
    (its power term falls to a subnormal number), and the warning was printed on the synthesis page;
    the p-values are what is published."""
    import warnings

    from helpers.analysis.outcomes import _paired_stats

    n = 11_000
    wave1 = np.tile(np.arange(10.0), n // 10)
    diff = np.zeros(n)
    diff[:1_360] = 1.0  # t = 39.4 on 10,999 df
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = _paired_stats(wave1, wave1 + diff, tests=True)
    assert result["p_t"] == stats.ttest_rel(wave1 + diff, wave1).pvalue
