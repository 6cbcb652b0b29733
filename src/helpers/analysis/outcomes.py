"""Paired before/after statistics of the well-being and self-efficacy scores
(``outcomes.csv`` of the results contract)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from helpers.analysis.rules import MIN_PAIRS, PRIMARY_OUTCOMES
from helpers.analysis.scoring import MEASURES, wave_pairs
from helpers.analysis.small_sample import (hedges_gz, hodges_lehmann, signed_rank_p, site_clustered_mean,
                                           smallest_wilcoxon_p, wilcoxon_pratt)

EFFECT_SIZE_KIND = "cohen_dz"
COLUMNS = (
    "site_id", "measure", "n_pairs", "mean_wave1", "mean_wave2", "mean_diff",
    "ci95_low", "ci95_high", "p_t", "p_wilcoxon", "effect_size", "effect_size_kind", "p_holm", "q_bh",
    "p_wilcoxon_pratt", "p_wilcoxon_min", "hl_estimate", "hl_ci95_low", "hl_ci95_high",
    "hedges_gz", "gz_ci95_low", "gz_ci95_high",
    "site_estimate", "site_ci95_low", "site_ci95_high", "site_df", "site_variance", "site_boundary",
    "hl_level", "site_p",
)


def paired_outcomes(scores: pd.DataFrame, site_id: str, tests: bool = True, sites: pd.Series | None = None) -> pd.DataFrame:
    """One row per measure (``MEASURES`` order) comparing wave 2 with wave 1.

    ``scores`` is the long table of ``helpers.analysis.scoring.scores`` for the patients
    to analyse; ``site_id`` (a site or "ALL") only labels the rows. Only
    patients with a value at both waves count. Differences are wave 2 minus
    wave 1, so for anxiety (lower is better) a negative difference is an
    improvement.

    - ci95_low/high: t-based 95% CI of the mean difference (n - 1 df).
    - p_t: two-sided paired t-test (``pingouin.ttest``).
    - p_wilcoxon: two-sided Wilcoxon signed-rank test, zero differences
      dropped, as ``pingouin.wilcoxon`` gives it (``small_sample.signed_rank_p``
      with continuity correction): exact when all differences are distinct
      (n <= 50), an exhaustive enumeration of the sign assignments when there
      are ties or zeros and n <= 13, otherwise the normal approximation with
      continuity correction.
    - effect_size: Cohen's d_z = mean difference / SD of the differences
      (ddof 1), signed like mean_diff. Not pingouin's ttest ``cohen_d``, which
      is d_av and unsigned.

    ``tests=False`` leaves p_t, p_wilcoxon and the effect size NaN (for figures
    that need only means and intervals).

    - p_holm, q_bh: multiplicity adjustments (``adjust_p_values``) of the
      headline p: site_p on pooled rows with ``sites`` (the test that allows
      for sites), p_t otherwise (site rows).
    - p_wilcoxon_pratt: the signed-rank test with zeros ranked (Pratt);
      p_wilcoxon_min: the smallest two-sided p the signed-rank test could give
      with these non-zero differences (above 0.05 with 5 or fewer).
    - hl_estimate, hl_ci95_*: Hodges-Lehmann median difference and its
      distribution-free interval (``small_sample.hodges_lehmann``).
    - hedges_gz, gz_ci95_*: d_z with Hedges' small-sample correction and the
      noncentral-t interval (``small_sample.hedges_gz``).
    - site_*: only with ``sites`` (participant_id -> site_id), for pooled rows:
      the mean change with a random intercept per site, its CI and site_p
      with t on Satterthwaite df (``small_sample.site_clustered_mean``);
      ci95_low/high and p_t ignore the clustering of patients within sites,
      the site_* columns do not.

    With fewer than ``MIN_PAIRS`` pairs only n and means are given. The CI,
    p_t and d_z are also NaN when all differences are equal (no spread), and
    p_wilcoxon when all differences are zero.
    """
    rows = [
        {"site_id": site_id, "measure": measure, **_paired_stats(*_pairs(scores, measure)[1:], tests),
         **(_clustered(*_pairs(scores, measure), sites) if sites is not None else {})}
        for measure in MEASURES
    ]
    out = pd.DataFrame(rows, columns=list(COLUMNS)).assign(effect_size_kind=EFFECT_SIZE_KIND)
    headline = out["site_p"] if sites is not None and site_id == "ALL" else out["p_t"]
    out["p_holm"], out["q_bh"] = adjust_p_values(headline, out["measure"], pooled=site_id == "ALL")
    return out


def adjust_p_values(p: pd.Series, measures: pd.Series, pooled: bool) -> tuple[pd.Series, pd.Series]:
    """Holm-adjusted p within the primary family and Benjamini-Hochberg q for the rest.

    Pooled rows (``pooled``): measures in ``rules.PRIMARY_OUTCOMES`` form the
    confirmatory family and get p_holm (Holm, familywise error, valid under any
    dependence); the other pooled measures get q_bh (Benjamini-Hochberg over
    them, false discovery rate, assumes independent or positively dependent
    tests). Site rows are exploratory: q_bh over the site's measures, no p_holm.
    Tests without a p-value (NaN) are left out of the family. statsmodels
    ``multipletests``. Intervals are not adjusted.
    """
    p = pd.Series(np.asarray(p, dtype="float64"), index=measures.index)
    primary = measures.isin(PRIMARY_OUTCOMES) if pooled else pd.Series(False, index=measures.index)
    holm = pd.Series(np.nan, index=p.index)
    bh = pd.Series(np.nan, index=p.index)
    for family, method, target in ((primary, "holm", holm), (~primary, "fdr_bh", bh)):
        chosen = family & p.notna()
        if chosen.any():
            target[chosen] = multipletests(p[chosen], method=method)[1]
    return holm, bh


def _pairs(scores: pd.DataFrame, measure: str) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    wide = wave_pairs(scores, measure)
    return wide.index, wide[1].to_numpy("float64"), wide[2].to_numpy("float64")


def _clustered(ids: pd.Index, wave1: np.ndarray, wave2: np.ndarray, sites: pd.Series) -> dict:
    fit = site_clustered_mean(pd.Series(wave2 - wave1), pd.Series(ids).map(sites))
    return {"site_estimate": fit["estimate"], "site_ci95_low": fit["ci95"][0], "site_ci95_high": fit["ci95"][1],
            "site_df": fit["df"], "site_variance": fit["site_variance"], "site_boundary": fit["boundary"],
            "site_p": fit["p"]}


def _paired_stats(wave1: np.ndarray, wave2: np.ndarray, tests: bool) -> dict:
    import pingouin as pg  # here, not at the top: importing it costs about 1 s (matplotlib, xarray), which the
    # processes that only count pairs (the run's parent, working out disclosure control) need not pay
    n = len(wave1)
    diff = wave2 - wave1
    means = [wave1.mean(), wave2.mean(), diff.mean()] if n else [np.nan] * 3
    ci_low = ci_high = p_t = p_w = d_z = np.nan
    if n >= MIN_PAIRS and np.ptp(diff) > 0:
        half = stats.t.ppf(0.975, n - 1) * diff.std(ddof=1) / np.sqrt(n)
        ci_low, ci_high = diff.mean() - half, diff.mean() + half
    if tests and n >= MIN_PAIRS and np.ptp(diff) > 0:
        with warnings.catch_warnings():  # its Bayes factor, unused here, overflows once t is in the hundreds
            warnings.simplefilter("ignore", RuntimeWarning)  # (a national dataset's pooled pairs)
            p_t = pg.ttest(wave2, wave1, paired=True)["p_val"].iloc[0]
        d_z = pg.compute_effsize(wave2, wave1, paired=True, eftype="cohen_dz")
    if tests and n >= MIN_PAIRS and np.any(diff != 0):
        p_w = signed_rank_p(diff, correction=True)
    extra = dict.fromkeys(("p_wilcoxon_pratt", "p_wilcoxon_min", "hl_estimate", "hl_ci95_low", "hl_ci95_high",
                           "hedges_gz", "gz_ci95_low", "gz_ci95_high", "hl_level"), np.nan)
    if tests and n >= MIN_PAIRS:
        extra.update(p_wilcoxon_pratt=wilcoxon_pratt(diff), p_wilcoxon_min=smallest_wilcoxon_p(diff))
        extra["hl_estimate"], extra["hl_ci95_low"], extra["hl_ci95_high"], extra["hl_level"] = hodges_lehmann(diff)
        extra["hedges_gz"], extra["gz_ci95_low"], extra["gz_ci95_high"] = hedges_gz(diff)
    return {
        "n_pairs": n, "mean_wave1": means[0], "mean_wave2": means[1], "mean_diff": means[2],
        "ci95_low": ci_low, "ci95_high": ci_high, "p_t": p_t, "p_wilcoxon": p_w, "effect_size": d_z, **extra,
    }
