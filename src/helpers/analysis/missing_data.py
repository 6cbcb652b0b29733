"""What drop-out does to the pooled changes (``missing_data.csv`` of the results contract).

The target is the mean change (wave 2 minus wave 1) of every patient with a
baseline score for the measure, followed up or not. Methods, each a row:

- ``complete_case``: the followed-up patients only; right if drop-out is
  unrelated to the change (missing completely at random).
- ``ipw``: inverse probability weighting; ``multiple_imputation``: imputation
  from the baseline score. Both assume missing at random given the baseline
  score (MAR): among patients with the same baseline, those lost would have
  changed like those followed up.
- ``delta_<d>``: not at random (MNAR): the imputed follow-up scores of lost
  patients made worse by d points (lower, or higher for anxiety) than MAR
  predicts. The tipping shift is the smallest d at which the 95% CI of the
  change reaches zero.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.discrete.discrete_model import Logit

from helpers.analysis.rules import MISSING_DELTAS as DELTAS
from helpers.analysis.rules import MISSING_IMPUTATIONS as IMPUTATIONS
from helpers.analysis.rules import MISSING_SEED as SEED
from helpers.analysis.scoring import LOWER_IS_BETTER, MEASURES

COLUMNS = ("measure", "method", "estimate", "ci95_low", "ci95_high", "n_baseline", "n_followed_up", "tipping_shift")


def baseline_and_follow_up(scores: pd.DataFrame, measure: str) -> pd.DataFrame:
    """Patients with a wave-1 score for ``measure``: wave1, wave2 (NaN when not followed up)."""
    rows = scores[scores["measure"] == measure]
    wide = rows.pivot_table(index="participant_id", columns="wave", values="value").reindex(columns=[1, 2])
    wide.columns = ["wave1", "wave2"]
    return wide.dropna(subset=["wave1"])


def complete_case(data: pd.DataFrame) -> tuple[float, float, float]:
    """Mean change of the followed-up patients with its t interval (n - 1 df)."""
    change = (data["wave2"] - data["wave1"]).dropna().to_numpy("float64")
    n = len(change)
    if n < 2:
        return np.nan, np.nan, np.nan
    half = stats.t.ppf(0.975, n - 1) * change.std(ddof=1) / np.sqrt(n)
    return float(change.mean()), float(change.mean() - half), float(change.mean() + half)


def _leave_one_out_means(exog: np.ndarray, observed: np.ndarray, y: np.ndarray, start: np.ndarray,
                         iterations: int = 50, chunk: int = 256) -> np.ndarray:
    """For each patient j, the weighted mean change of the others, weights 1 / P(followed up) from the
    logistic fit without patient j (Newton-Raphson from the full fit ``start``, pseudo-inverse steps,
    so that a fit that separates runs off towards 0 or 1 instead of failing); NaN where a weight is not
    finite. The leave-one-out fits are solved ``chunk`` at a time, so memory stays chunk x n, never n x n.
    """
    n, k = exog.shape
    outer = (exog[:, :, None] * exog[:, None, :]).reshape(n, k * k)  # x_o x_o', one row per patient
    means = np.empty(n)
    for first in range(0, n, chunk):
        rows = np.arange(first, min(first + chunk, n))
        keep = np.ones((len(rows), n))
        keep[np.arange(len(rows)), rows] = 0.0
        beta = np.tile(start, (len(rows), 1))
        for _ in range(iterations):
            p = 1 / (1 + np.exp(-(beta @ exog.T)))
            grad = (keep * (observed - p)) @ exog
            hess = ((keep * p * (1 - p)) @ outer).reshape(len(rows), k, k)  # a matrix product, not einsum
            step = (np.linalg.pinv(hess) @ grad[..., None])[..., 0]
            beta += step
            if np.abs(step).max() < 1e-10:
                break
        p = 1 / (1 + np.exp(-(beta @ exog.T)))
        with np.errstate(divide="ignore"):
            weights = np.where((keep > 0) & (observed > 0), 1 / p, 0.0)
        with np.errstate(invalid="ignore"):
            means[rows] = np.where(np.isfinite(weights).all(axis=1), (weights * y).sum(axis=1) / weights.sum(axis=1),
                                   np.nan)
    return means


def inverse_probability_weighted(data: pd.DataFrame) -> tuple[float, float, float]:
    """Weighted mean change of the followed-up, weights 1 / P(followed up | baseline).

    The probability is a logistic regression of follow-up on the baseline
    score (statsmodels Logit); the estimate is the normalised (Hajek) weighted
    mean. Its variance is the leave-one-patient-out jackknife, refitting the
    logistic model each time (Miller 1974), so it counts the uncertainty of
    the estimated weights; t on n_followed - 1 df. The weights-known
    variance and the M-estimation sandwich (Lunceford and Davidian 2004) were
    too small at these sizes: 93.4% and 92.1% coverage with about 24 of 39
    patients followed in benchmarks/calibration.py-style simulations, against
    94.7% for the jackknife. Assumes MAR given baseline and a logistic model
    that is right; NaN when follow-up does not vary or the model separates.
    """
    observed = data["wave2"].notna().to_numpy()
    if observed.all() or observed.sum() < 2:
        return complete_case(data) if observed.all() else (np.nan, np.nan, np.nan)
    exog = np.column_stack([np.ones(len(data)), data["wave1"].to_numpy("float64")])
    try:
        fit = Logit(observed.astype(float), exog).fit(disp=0, maxiter=200)
    except np.linalg.LinAlgError:
        return np.nan, np.nan, np.nan
    p = fit.predict(exog)
    if not np.all(np.isfinite(p)) or p[observed].min() <= 1e-6:
        return np.nan, np.nan, np.nan
    y = np.where(observed, (data["wave2"] - data["wave1"]).to_numpy("float64"), 0.0)
    mu = float((observed / p * y).sum() / (observed / p).sum())
    with np.errstate(all="ignore"):
        loo = _leave_one_out_means(exog, observed.astype("float64"), y, np.asarray(fit.params, dtype="float64"))
    if not np.all(np.isfinite(loo)):
        return np.nan, np.nan, np.nan
    n = len(y)
    se = float(np.sqrt((n - 1) / n * ((loo - loo.mean()) ** 2).sum()))
    half = stats.t.ppf(0.975, observed.sum() - 1) * se
    return mu, mu - half, mu + half


def imputed_changes(data: pd.DataFrame, imputations: int = IMPUTATIONS, seed: int = SEED) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Proper multiple imputation of missing follow-up scores from the baseline score (MAR).

    Normal linear regression wave2 ~ wave1 on the followed-up; each imputation
    draws sigma^2 from its scaled inverse chi-square posterior and the
    coefficients from their normal posterior, then a follow-up score per lost
    patient (the Bayesian draw of Rubin 1987, seeded). Returns each
    imputation's mean change over all patients and its variance (s^2 / n),
    and a boolean mask of the lost patients. Assumes MAR given baseline and a
    linear, normal relation; imputed scores are not rounded or clipped.
    """
    observed = data["wave2"].notna().to_numpy()
    x = data["wave1"].to_numpy("float64")
    y = data["wave2"].to_numpy("float64")
    X = np.column_stack([np.ones(len(x)), x])
    Xo, yo = X[observed], y[observed]
    n_obs = len(yo)
    beta, *_ = np.linalg.lstsq(Xo, yo, rcond=None)
    resid = yo - Xo @ beta
    df = n_obs - 2
    s2 = resid @ resid / df
    xtx_inv = np.linalg.inv(Xo.T @ Xo)
    rng = np.random.default_rng(seed)
    means, variances = np.empty(imputations), np.empty(imputations)
    for m in range(imputations):
        sigma2 = s2 * df / rng.chisquare(df)
        b = rng.multivariate_normal(beta, sigma2 * xtx_inv)
        filled = y.copy()
        filled[~observed] = X[~observed] @ b + rng.normal(0, np.sqrt(sigma2), (~observed).sum())
        change = filled - x
        means[m] = change.mean()
        variances[m] = change.var(ddof=1) / len(change)
    return means, variances, ~observed


def rubin(means: np.ndarray, variances: np.ndarray, n: int) -> tuple[float, float, float]:
    """Rubin's rules: pooled estimate, 95% CI with the Barnard-Rubin degrees of freedom (complete-data df n - 1)."""
    m = len(means)
    q = means.mean()
    within = variances.mean()
    between = means.var(ddof=1)
    total = within + (1 + 1 / m) * between
    if between <= 0:
        df = n - 1
    else:
        lam = (1 + 1 / m) * between / total
        df_old = (m - 1) / lam**2
        df_obs = (n - 1 + 1) / (n - 1 + 3) * (n - 1) * (1 - lam)
        df = 1 / (1 / df_old + 1 / df_obs)
    half = stats.t.ppf(0.975, df) * np.sqrt(total)
    return float(q), float(q - half), float(q + half)


def missing_data_estimates(scores: pd.DataFrame) -> pd.DataFrame:
    """Every method for every measure, in the results-contract columns.

    Delta rows shift the imputed follow-up scores of lost patients by d
    points in the unfavourable direction (down, or up for anxiety); the
    estimate then moves by d times the share lost, and the interval keeps its
    width. tipping_shift is the shift at which the MAR interval's bound
    nearer zero reaches zero, for a favourable MAR change (0 when the MAR
    interval already includes zero; NaN for an unfavourable change, which an
    unfavourable shift cannot abolish, or when it cannot be computed).
    """
    rows = []
    for measure in MEASURES:
        data = baseline_and_follow_up(scores, measure)
        n, n_followed = len(data), int(data["wave2"].notna().sum())
        base = {"measure": measure, "n_baseline": n, "n_followed_up": n_followed}
        results = {"complete_case": complete_case(data), "ipw": inverse_probability_weighted(data)}
        sign = 1.0 if measure in LOWER_IS_BETTER else -1.0  # the unfavourable direction
        tipping = np.nan
        if n_followed >= 3 and n_followed < n:
            means, variances, lost = imputed_changes(data)
            results["multiple_imputation"] = rubin(means, variances, n)
            share = lost.mean()
            for d in DELTAS:
                results[f"delta_{d:g}"] = rubin(means + sign * d * share, variances, n)
            _, low, high = results["multiple_imputation"]
            gap = -high if sign > 0 else low  # distance from the bound nearer zero to zero, favourable side
            tipping = gap / share if gap > 0 else (0.0 if low <= 0 <= high else np.nan)
        elif n_followed == n and n_followed >= 2:
            results["multiple_imputation"] = results["complete_case"]
            for d in DELTAS:
                results[f"delta_{d:g}"] = results["complete_case"]
        for method, (est, low, high) in results.items():
            rows.append({**base, "method": method, "estimate": est, "ci95_low": low, "ci95_high": high,
                         "tipping_shift": tipping})
    return pd.DataFrame(rows, columns=list(COLUMNS))
