"""Small-sample statistics of paired differences and of changes clustered by site.

Each function takes the differences (wave 2 minus wave 1) of the patients to
analyse and says what it assumes. Used by ``outcomes.paired_outcomes``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import optimize, stats


def hedges_gz(diff: np.ndarray) -> tuple[float, float, float]:
    """Standardised mean difference of paired data with the small-sample correction, and its 95% CI.

    g_z = J d_z with d_z = mean / SD (ddof 1) and J = 1 - 3 / (4 (n - 1) - 1)
    (Hedges' correction: d_z overstates the effect in small samples; J is 0.80
    at n = 5). The interval is for the population d_z, exact under normal
    differences: the noncentral t limits of t = d_z sqrt(n) on n - 1 df,
    divided by sqrt(n). NaN with fewer than 2 differences or no spread.
    """
    diff = np.asarray(diff, dtype="float64")
    n = len(diff)
    if n < 2 or np.ptp(diff) == 0:
        return np.nan, np.nan, np.nan
    d = diff.mean() / diff.std(ddof=1)
    df = n - 1
    t = d * np.sqrt(n)
    j = 1 - 3 / (4 * df - 1)
    span = abs(t) + 10 * (1 + abs(t) / np.sqrt(df))

    def limit(target):
        return optimize.brentq(lambda ncp: stats.nct.sf(t, df, ncp) - target, t - span, t + span)

    low, high = limit(0.025), limit(0.975)
    return float(j * d), float(low / np.sqrt(n)), float(high / np.sqrt(n))


def _signrank_cdf(n: int) -> np.ndarray:
    """P(T+ <= t) for t = 0..n(n+1)/2 under the null, no ties (counts by dynamic programming)."""
    counts = np.zeros(n * (n + 1) // 2 + 1)
    counts[0] = 1.0
    for k in range(1, n + 1):
        counts[k:] = counts[k:] + counts[:-k].copy()
    return np.cumsum(counts) / 2.0**n


def hodges_lehmann(diff: np.ndarray) -> tuple[float, float, float]:
    """Hodges-Lehmann estimate of the median difference with the distribution-free 95% CI.

    The estimate is the median of the Walsh averages (d_i + d_j) / 2, i <= j;
    the interval runs from the q-th smallest to the q-th largest Walsh
    average, q from the exact null distribution of the signed-rank statistic
    (as R's ``wilcox.test(conf.int = TRUE)`` without ties). Assumes the
    differences symmetric about their median; with ties (scores are whole
    numbers) the coverage is only approximately 95%. NaN below 2 differences.
    """
    diff = np.sort(np.asarray(diff, dtype="float64"))
    n = len(diff)
    if n < 2:
        return np.nan, np.nan, np.nan
    i, j = np.triu_indices(n)
    walsh = np.sort((diff[i] + diff[j]) / 2)
    cdf = _signrank_cdf(n)
    q = max(int(np.searchsorted(cdf, 0.025 - 1e-12)), 1)  # smallest x with P(T+ <= x) >= 0.025
    return float(np.median(walsh)), float(walsh[q - 1]), float(walsh[len(walsh) - q])


def wilcoxon_pratt(diff: np.ndarray) -> float:
    """Two-sided Wilcoxon signed-rank p with zeros ranked and then dropped (Pratt's method).

    scipy.stats.wilcoxon(zero_method="pratt"): zero differences keep their
    share of the ranks, unlike the default that discards them. Assumes the
    differences symmetric under the null. NaN when every difference is zero.
    """
    diff = np.asarray(diff, dtype="float64")
    if not np.any(diff != 0):
        return np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy warns that zeros change the method
        return float(stats.wilcoxon(diff, zero_method="pratt").pvalue)


def smallest_wilcoxon_p(diff: np.ndarray) -> float:
    """The smallest two-sided signed-rank p attainable with these differences: 2 / 2^m, m non-zero.

    With m <= 5 non-zero differences it is at least 0.0625, so the test cannot
    reach 0.05 whatever the data. NaN when every difference is zero.
    """
    m = int(np.count_nonzero(np.asarray(diff, dtype="float64")))
    return float(min(1.0, 2.0 ** (1 - m))) if m else np.nan


def site_clustered_mean(change: pd.Series, site: pd.Series) -> dict:
    """Mean change allowing for clustering by site: a random intercept per site.

    Linear mixed model change = mu + u_site + e (statsmodels MixedLM, REML);
    the 95% CI is mu -/+ t(0.975, K - 1) SE with K sites, since with few sites
    a normal reference is too narrow. Assumes normal site effects and
    residuals, sites exchangeable. With few sites the site variance is often
    estimated at zero (the boundary); ``boundary`` says so, and then the
    interval is that of an unclustered analysis with K - 1 df. Needs 3 sites.
    Returns estimate, se, df, ci95 (low, high), site_variance, boundary.
    """
    import statsmodels.formula.api as smf
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    data = pd.DataFrame({"change": np.asarray(change, dtype="float64"), "site": np.asarray(site)}).dropna()
    k = data["site"].nunique()
    out = {"estimate": np.nan, "se": np.nan, "df": k - 1, "ci95": (np.nan, np.nan), "site_variance": np.nan,
           "boundary": False}
    if k < 3 or data["change"].nunique() < 2:
        return out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.filterwarnings("ignore", "Random effects covariance is singular")
        fit = smf.mixedlm("change ~ 1", data, groups=data["site"]).fit(reml=True, method="powell")
    estimate, se = float(fit.params["Intercept"]), float(fit.bse["Intercept"])
    half = stats.t.ppf(0.975, k - 1) * se
    variance = float(fit.cov_re.iloc[0, 0])
    out.update(estimate=estimate, se=se, ci95=(estimate - half, estimate + half), site_variance=variance,
               boundary=variance < 1e-6 * max(float(fit.scale), 1e-12))
    return out
