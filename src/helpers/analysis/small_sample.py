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


def _signed_rank_null(ranks2: np.ndarray) -> np.ndarray:
    """Exact null distribution of 2 T+ for these doubled (integer) ranks: P(2 T+ = s), s = 0..sum.

    Each rank's sign is + or - with probability 1/2, independently (the
    conditional signed-rank distribution given the tie pattern).
    """
    total = int(ranks2.sum())
    prob = np.zeros(total + 1)
    prob[0] = 1.0
    for r in ranks2.astype(np.int64):
        shifted = np.zeros_like(prob)
        shifted[r:] = prob[:total + 1 - r]
        prob = (prob + shifted) / 2
    return prob


def signed_rank_exact(diff: np.ndarray, alpha: float = 0.05) -> tuple[float, float]:
    """Exact conditional two-sided signed-rank p of ``diff`` (Pratt zeros, mid-ranks) and the test's size.

    The size is the probability, under the same conditional distribution, of
    a p at most ``alpha``: with ties or few differences it is below alpha.
    Returns (1, 0) when every difference is zero.
    """
    ranks2 = np.rint(2 * stats.rankdata(np.abs(diff))).astype(np.int64)  # mid-ranks are multiples of 1/2
    nonzero = diff != 0
    if not nonzero.any():
        return 1.0, 0.0
    ranks2 = ranks2[nonzero]
    prob = _signed_rank_null(ranks2)
    centre = ranks2.sum() / 2
    support = np.arange(len(prob))
    distance = np.abs(support - centre)
    order = np.argsort(-distance, kind="stable")
    # two-sided p of each outcome s: P(|2T+ - centre| >= |s - centre|)
    tail = np.empty(len(prob))
    d_sorted, p_sorted = distance[order], prob[order]
    cumulative = np.cumsum(p_sorted)
    last = np.searchsorted(-d_sorted, -d_sorted, side="right") - 1  # ties in distance share the tail
    tail[order] = cumulative[last]
    observed = int(ranks2[diff[nonzero] > 0].sum())
    p = float(min(1.0, tail[observed]))
    size = float(prob[tail <= alpha + 1e-12].sum())
    return p, size


EXACT_SIGNED_RANK_MAX = 100  # differences; above, the signed-rank test uses its normal approximation


def hodges_lehmann(diff: np.ndarray, alpha: float = 0.05) -> tuple[float, float, float, float]:
    """Hodges-Lehmann estimate of the median difference, its distribution-free interval and attained level.

    The estimate is the median of the Walsh averages (d_i + d_j) / 2, i <= j.
    The interval is the set of shifts theta that the conditional signed-rank
    test of d - theta does not reject (Pratt's zeros, mid-ranks for ties;
    Bauer 1972, Lehmann 1975); its ends are Walsh averages. Up to
    EXACT_SIGNED_RANK_MAX differences the test is exact: whole-number scores
    give ties and zeros, so its null distribution is discrete and its size
    below alpha, and the attained level, one minus the size of the test at
    the estimate, is returned (``hodges_lehmann_level``). With n <= 5 no
    outcome reaches p <= 0.05, so the test rejects at the smallest p that n
    distinct differences can reach, 2 / 2^n, and the level can fall below 95%
    (as R's ``wilcox.test`` does when the level is not achievable). Above
    EXACT_SIGNED_RANK_MAX the test is its normal approximation with the tie
    variance (exact enumeration costs n^3; a pooled analysis of a national
    study has thousands of pairs), the level is the nominal 1 - alpha, and
    the Walsh averages are counted, never listed. Assumes the differences
    symmetric about their median. NaN below 2 differences.
    Returns (estimate, low, high, level).
    """
    diff = np.sort(np.asarray(diff, dtype="float64"))
    n = len(diff)
    if n < 2:
        return np.nan, np.nan, np.nan, np.nan
    if n > EXACT_SIGNED_RANK_MAX:
        return _hodges_lehmann_large(diff, alpha)
    i, j = np.triu_indices(n)
    walsh = (diff[i] + diff[j]) / 2
    estimate = float(np.median(walsh))
    cut = max(alpha, 2.0 ** (1 - n))  # n <= 5: the smallest p n distinct differences can reach
    level = hodges_lehmann_level(diff, estimate, alpha)
    unique = np.unique(walsh)
    candidates = np.sort(np.concatenate([unique, (unique[1:] + unique[:-1]) / 2]))
    is_walsh = np.isin(candidates, unique)

    def accepted(k):
        return signed_rank_exact(diff - candidates[k], cut)[0] > cut + 1e-12

    centre = int(np.argmin(np.abs(candidates - estimate)))
    low = high = centre
    while low > 0 and accepted(low - 1):
        low -= 1
    while high < len(candidates) - 1 and accepted(high + 1):
        high += 1
    # an accepted point between two Walsh averages: the set reaches up to (not including) the next one
    lo = candidates[low] if is_walsh[low] else candidates[low - 1]
    hi = candidates[high] if is_walsh[high] else candidates[high + 1]
    return estimate, float(lo), float(hi), float(level)


def _walsh_at_most(diff: np.ndarray, theta: float) -> int:
    """How many Walsh averages (d_i + d_j) / 2, i <= j, of the sorted ``diff`` are <= theta."""
    below = np.searchsorted(diff, 2 * theta - diff, side="right")  # j with d_j <= 2 theta - d_i
    return int(np.clip(below - np.arange(len(diff)), 0, None).sum())


def _walsh_nearest(diff: np.ndarray, theta: float, side: str) -> float | None:
    """The nearest Walsh average of the sorted ``diff`` to theta: "below" (<= theta), "above" (>= theta),
    "under" (< theta) or "over" (> theta); None when there is none."""
    n, i = len(diff), np.arange(len(diff))
    if side in ("below", "under"):
        j = np.searchsorted(diff, 2 * theta - diff, side="right" if side == "below" else "left") - 1
        ok = j >= i
        return float(((diff + diff[np.clip(j, 0, n - 1)]) / 2)[ok].max()) if ok.any() else None
    j = np.maximum(np.searchsorted(diff, 2 * theta - diff, side="left" if side == "above" else "right"), i)
    ok = j < n
    return float(((diff + diff[np.clip(j, 0, n - 1)]) / 2)[ok].min()) if ok.any() else None


def _walsh_order_statistic(diff: np.ndarray, k: int) -> float:
    """The k-th smallest (1-based) Walsh average of the sorted ``diff``, found by counting."""
    low, high = float(diff[0]) - 1, float(diff[-1])  # fewer than k at or below low; all at or below high
    for _ in range(200):  # bisection on the value; each step counts in n log n
        mid = (low + high) / 2
        if mid in (low, high):
            break
        if _walsh_at_most(diff, mid) >= k:
            high = mid
        else:
            low = mid
    return _walsh_nearest(diff, high, "below")  # the one Walsh average in (low, high]


def _signed_rank_z(diff: np.ndarray) -> float:
    """The signed-rank statistic of ``diff`` standardised under its conditional null (Pratt, mid-ranks).

    E(T+) = sum(r) / 2 and Var(T+) = sum(r^2) / 4 over the non-zero differences,
    each sign + or - with probability 1/2 given the ranks.
    """
    ranks = stats.rankdata(np.abs(diff))
    nonzero = diff != 0
    if not nonzero.any():
        return 0.0
    r = ranks[nonzero]
    return float((r[diff[nonzero] > 0].sum() - r.sum() / 2) / np.sqrt((r ** 2).sum() / 4))


def _hodges_lehmann_large(diff: np.ndarray, alpha: float) -> tuple[float, float, float, float]:
    """``hodges_lehmann`` for many differences: counted Walsh averages, the normal-approximation test.

    As in the exact case the interval is the run of accepted shifts around the
    estimate, tried at Walsh averages and in the gaps between them (the
    statistic changes only there), found by bisection over the averages' order.
    """
    total = len(diff) * (len(diff) + 1) // 2
    lower, upper = total // 2 + (total % 2), total // 2 + 1  # the middle order statistics (1-based)
    estimate = (_walsh_order_statistic(diff, lower) + _walsh_order_statistic(diff, upper)) / 2
    z = stats.norm.ppf(1 - alpha / 2)

    def accepted(theta):
        return abs(_signed_rank_z(diff - theta)) < z

    def last_accepted(inside: int, outside: int) -> float:
        """The accepted order statistic nearest `outside` (an index beyond the averages: rejected)."""
        while abs(outside - inside) > 1:
            middle = (inside + outside) // 2
            if accepted(_walsh_order_statistic(diff, middle)):
                inside = middle
            else:
                outside = middle
        return _walsh_order_statistic(diff, inside)

    def end(side_from: float, step: str) -> float:
        beyond = _walsh_nearest(diff, side_from, step)
        if beyond is None or not accepted((side_from + beyond) / 2):
            return side_from
        return beyond  # the gap after the last accepted average is accepted: the set reaches the next one

    low = end(last_accepted(lower, 0), "under")
    high = end(last_accepted(upper, total + 1), "over")
    return float(estimate), float(low), float(high), 1 - alpha


def hodges_lehmann_level(diff: np.ndarray, theta: float, alpha: float = 0.05) -> float:
    """Attained confidence level of the ``hodges_lehmann`` interval at the shift ``theta``.

    One minus the size of the exact conditional signed-rank test of
    d - theta (its tie and zero pattern), at the rejection level the
    interval uses: the probability that the interval holds theta when theta
    is the true median and the differences are symmetric about it. Above
    EXACT_SIGNED_RANK_MAX differences, the nominal 1 - alpha of the normal
    approximation.
    """
    diff = np.asarray(diff, dtype="float64")
    if len(diff) > EXACT_SIGNED_RANK_MAX:
        return 1 - alpha
    return 1 - signed_rank_exact(diff - theta, max(alpha, 2.0 ** (1 - len(diff))))[1]


def signed_rank_p(diff: np.ndarray, zero_method: str = "wilcox", correction: bool = False) -> float:
    """Two-sided Wilcoxon signed-rank p of ``diff``: the p scipy.stats.wilcoxon gives (method "auto").

    SciPy's choice of method is kept: exact when the differences are distinct
    and non-zero (n <= 50); with ties or zeros and n <= 13 differences, every
    one of the 2^n sign assignments is enumerated; otherwise the normal
    approximation (with continuity ``correction`` if asked). The enumeration
    is what SciPy's permutation test does, computed here from the exact null
    distribution of the mid-rank sum instead of one statistic per assignment
    (about 20 ms against 2 s at n = 13): the same two-sided p,
    2 min(P(T+ <= t), P(T+ >= t)), to the last bit, since every probability is
    a multiple of 2^-n. ``zero_method`` "wilcox" drops zero differences before
    ranking; "pratt" ranks them and then drops them. NaN when every difference
    is zero.
    """
    diff = np.asarray(diff, dtype="float64")
    nonzero = diff != 0
    if not nonzero.any():
        return np.nan
    ranked = np.abs(diff[nonzero] if zero_method == "wilcox" else diff)
    tied = len(np.unique(ranked)) < len(ranked)
    if len(diff) > 13 or (nonzero.all() and not tied):  # where SciPy does not enumerate the signs
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # scipy warns that zeros change the method
            return float(stats.wilcoxon(diff, zero_method=zero_method, correction=correction).pvalue)
    ranks = stats.rankdata(ranked)
    ranks2 = np.rint(2 * (ranks if zero_method == "wilcox" else ranks[nonzero])).astype(np.int64)
    prob = _signed_rank_null(ranks2)  # P(2 T+ = s), exact multiples of 2^-m
    observed = int(ranks2[diff[nonzero] > 0].sum())
    return float(min(1.0, 2 * min(prob[:observed + 1].sum(), prob[observed:].sum())))


def wilcoxon_pratt(diff: np.ndarray) -> float:
    """Two-sided Wilcoxon signed-rank p with zeros ranked and then dropped (Pratt's method).

    scipy.stats.wilcoxon(zero_method="pratt") (``signed_rank_p``): zero
    differences keep their share of the ranks, unlike the default that
    discards them. Assumes the differences symmetric under the null. NaN when
    every difference is zero.
    """
    return signed_rank_p(diff, zero_method="pratt")


def smallest_wilcoxon_p(diff: np.ndarray) -> float:
    """The smallest two-sided signed-rank p attainable with these differences: 2 / 2^m, m non-zero.

    With m <= 5 non-zero differences it is at least 0.0625, so the test cannot
    reach 0.05 whatever the data. NaN when every difference is zero.
    """
    m = int(np.count_nonzero(np.asarray(diff, dtype="float64")))
    return float(min(1.0, 2.0 ** (1 - m))) if m else np.nan


def satterthwaite_df(sizes, site_variance: float, residual_variance: float) -> float:
    """Satterthwaite degrees of freedom of the mean of a one-way random-intercept model.

    Var(mu) = phi(s2_u, s2_e) = 1 / sum n_i / (s2_e + n_i s2_u); df =
    2 phi^2 / (g' I^-1 g), g the gradient of phi in the two variances and I
    their REML information, evaluated at the estimates (as lmerTest does).
    With balanced sites it is K - 1, also at the boundary (site variance 0),
    where ``site_clustered_mean`` uses n - 1 instead; unbalanced sites move it
    away from K - 1.
    """
    n = np.asarray(sizes, dtype="float64")
    su, se = float(max(site_variance, 0.0)), float(residual_variance)
    a = 1 / (se + n * su)  # V_i^-1 1 = a_i 1, with V_i = se I + su J the covariance of site i's changes
    w = (n * a).sum()  # 1' V^-1 1
    phi = 1 / w
    grad = phi**2 * np.array([(n**2 * a**2).sum(), (n * a**2).sum()])
    # The REML information 0.5 tr(P dV_j P dV_k), dV = J (block-diagonal ones) for s2_u and I for s2_e,
    # P = V^-1 - V^-1 1 1' V^-1 / w, summed site by site: V_i^-1 J = a_i J, V_i^-1 has eigenvalues a_i
    # (once) and 1/se (n_i - 1 times). O(sites), where the N x N matrices were O(N^3) in patients.
    uju, uiu = (a**2 * n**2).sum(), (a**2 * n).sum()  # u'Ju, u'u with u = V^-1 1
    jj = uju - 2 / w * (a**3 * n**3).sum() + uju**2 / w**2
    ji = uiu - 2 / w * (a**3 * n**2).sum() + uju * uiu / w**2
    ii = (a**2 + (n - 1) / se**2).sum() - 2 / w * (a**3 * n).sum() + uiu**2 / w**2
    info = 0.5 * np.array([[jj, ji], [ji, ii]])
    return float(2 * phi**2 / (grad @ np.linalg.solve(info, grad)))


def site_clustered_mean(change: pd.Series, site: pd.Series) -> dict:
    """Mean change allowing for clustering by site: a random intercept per site.

    Linear mixed model change = mu + u_site + e (statsmodels MixedLM, REML);
    the 95% CI and p use t with Satterthwaite degrees of freedom
    (``satterthwaite_df``, Satterthwaite 1946; Kenward and Roger 1997 give the
    same df for this one-parameter mean, their SE adjustment aside), not a
    normal reference and not a fixed K - 1: K - 1 (K sites) is right when
    the sites differ. When the site variance is estimated at zero (the
    boundary) the model is iid normal: the estimate is the mean, the SE the
    SD over sqrt(n), a variance with n - 1 df, and the df are n - 1 (the
    one-sample t interval): the variance-scale Satterthwaite formula
    still gives K - 1 there (balanced sites), which made the interval cover
    98% with alike sites in benchmarks/calibration.py. ``boundary`` says when
    the site variance is at zero. Assumes normal site effects and residuals,
    sites exchangeable.
    Needs 3 sites. Returns estimate, se, df, ci95 (low, high), p,
    site_variance, boundary.
    """
    import statsmodels.formula.api as smf
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    data = pd.DataFrame({"change": np.asarray(change, dtype="float64"), "site": np.asarray(site)}).dropna()
    k = data["site"].nunique()
    out = {"estimate": np.nan, "se": np.nan, "df": np.nan, "ci95": (np.nan, np.nan), "p": np.nan,
           "site_variance": np.nan, "boundary": False}
    if k < 3 or data["change"].nunique() < 2:
        return out
    data = data.sort_values("site", kind="stable")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.filterwarnings("ignore", "Random effects covariance is singular")
        fit = smf.mixedlm("change ~ 1", data, groups=data["site"]).fit(reml=True, method="powell")
    estimate, se = float(fit.params["Intercept"]), float(fit.bse["Intercept"])
    variance = float(fit.cov_re.iloc[0, 0])
    boundary = variance < 1e-6 * max(float(fit.scale), 1e-12)
    if boundary:  # the model is then iid normal: the mean and its one-sample SE (MixedLM's Hessian-based
        # SE of the intercept is a few per cent off it there, unless the site means are exactly equal)
        values = data["change"].to_numpy()
        estimate, se, df = float(values.mean()), float(values.std(ddof=1) / np.sqrt(len(values))), float(len(values) - 1)
    else:
        df = satterthwaite_df(data.groupby("site", sort=True).size().to_numpy(), variance, float(fit.scale))
    half = stats.t.ppf(0.975, df) * se
    out.update(estimate=estimate, se=se, df=df, ci95=(estimate - half, estimate + half),
               p=float(2 * stats.t.sf(abs(estimate / se), df)) if se > 0 else np.nan, site_variance=variance,
               boundary=boundary)
    return out
