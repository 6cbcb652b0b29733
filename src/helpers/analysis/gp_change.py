"""GP contact change at referral beyond regression to the mean (``gp_change.csv``).

Four comparisons per site, each a rate ratio with a 95% interval:

- ``window_naive``: the W months after referral against the W months before
  (``gp_contacts.summarise_windows``). People are referred when contacts peak,
  so this overstates any fall (regression to the mean).
- ``baseline_anchored``: months 1..W after against an earlier baseline
  (``rules.GP_BASELINE_MONTHS``, months -12 to -7) that leaves out the run-up.
- ``anticipation`` and ``level_change``: from a segmented Poisson GEE on
  patient-months (``segmented_fit``): the rate in the months just before
  referral, and the step in the rate at referral, each against the rate the
  pre-referral trend projects.
- ``slope_change``: the same model with a separate trend after referral
  (``segmented_fit(..., slope=True)``): the ratio by which the rate changes
  per month after referral beyond the trend before it (1 = no change of
  slope). A declared comparison of its own; the level change is taken from
  the model without it (see ``segmented_design``).

Pooled ``ALL`` rows combine the site log rate ratios by random-effects
meta-analysis (``pool_sites``). Month boundaries follow ``gp_contacts``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.genmod import cov_struct, families
from statsmodels.genmod.generalized_estimating_equations import GEE
from statsmodels.stats.meta_analysis import combine_effects

from helpers.analysis.gp_contacts import (_contacts, _patients, _shift, paired_rate_ratio,
                                          period_counts, t_interval)
from helpers.analysis.rules import GP_ANTICIPATION_MONTHS, GP_BASELINE_MONTHS, GP_MODEL_MONTHS, MIN_PAIRS

COMPARISONS = ("window_naive", "baseline_anchored", "anticipation", "level_change", "slope_change")
COLUMNS = ("site_id", "comparison", "rate_ratio", "ci95_low", "ci95_high", "df", "n_patients", "method",
           "pi95_low", "pi95_high")
SITE_METHODS = {
    "window_naive": "Poisson GEE of paired window counts, Mancl-DeRouen sandwich, t(n-1)",
    "baseline_anchored": "Poisson GEE of paired counts (months {a} to {b} vs 1 to {w}), Mancl-DeRouen sandwich, t(n-1)",
    "anticipation": "segmented Poisson GEE on patient-months, Mancl-DeRouen sandwich, t(n-1)",
    "level_change": "segmented Poisson GEE on patient-months, Mancl-DeRouen sandwich, t(n-1)",
    "slope_change": "segmented Poisson GEE on patient-months with a slope change (ratio per month), "
                    "Mancl-DeRouen sandwich, t(n-1)",
}
POOLED_METHOD = ("random effects (Paule-Mandel) over sites, modified Hartung-Knapp-Sidik-Jonkman, t(k-1); "
                 "tau2 = 0: fixed-effect variance, t on the sites' Welch-Satterthwaite df; PI t(k-2)")
TERMS = ("const", "month", "anticipation", "level", "calendar")


def patient_months(
    gp_contacts: pd.DataFrame, patients: pd.DataFrame, months: int = GP_MODEL_MONTHS, *,
    extract_end, extract_start=None,
) -> pd.DataFrame:
    """One row per patient and month -months..-1, 1..months with any day inside the GP extract.

    Columns: participant_id, site_id, month, days (days of the month inside
    the extract, the exposure), contacts, calendar (calendar years since
    2000-01-01 at the middle of the covered days). Month k as in
    ``gp_contacts.monthly_trajectory``; the referral day is in no month.
    """
    pts = _patients(patients).reset_index(drop=True)
    contacts = _contacts(gp_contacts, pts)
    offsets = np.arange(-months, months + 1)
    # bounds[i, j]: patient i's referral date shifted by offsets[j] months (the month boundaries)
    bounds = np.column_stack([_shift(pts["referral_date"], int(j)).to_numpy("datetime64[D]") for j in offsets])
    # a contact on day d is in month k < 0 when bound k <= d < bound k + 1, in month k > 0 when
    # bound k - 1 < d <= bound k; the referral day (bound 0) is in neither
    owner = pd.Index(pts["participant_id"]).get_indexer(contacts["participant_id"])
    day = contacts["contact_date"].to_numpy("datetime64[D]")[:, None]
    last_start = (bounds[owner] <= day).sum(axis=1) - 1  # largest j with bound j <= d (-1: none)
    first_end = (bounds[owner] < day).sum(axis=1)  # smallest j with bound j >= d (len: none)
    before = (last_start >= 0) & (offsets[np.clip(last_start, 0, None)] < 0)
    after = ~before & (first_end < len(offsets)) & (offsets[np.clip(first_end, None, len(offsets) - 1)] > 0)
    column = np.where(before, last_start, np.where(after, first_end, months))  # months: offset 0, never used
    counts = np.zeros((len(pts), len(offsets)), dtype="int64")
    np.add.at(counts, (owner, column), 1)
    one = np.timedelta64(1, "D")
    low_clip = np.datetime64(pd.Timestamp(extract_start).date(), "D") if extract_start is not None else None
    high_clip = np.datetime64(pd.Timestamp(extract_end).date(), "D")
    epoch = np.datetime64("2000-01-01", "D")
    frames = []
    for k in [*range(-months, 0), *range(1, months + 1)]:
        j = k + months
        # inclusive first and last day of month k
        lo, hi = (bounds[:, j], bounds[:, j + 1] - one) if k < 0 else (bounds[:, j - 1] + one, bounds[:, j])
        if low_clip is not None:
            lo = np.maximum(lo, low_clip)
        hi = np.minimum(hi, high_clip)
        days = (hi - lo).astype("int64") + 1
        middle = (lo - epoch).astype("int64") + np.floor_divide(days - 1, 2)  # whole days, as Timestamp.days
        frames.append(pd.DataFrame({
            "participant_id": pts["participant_id"], "site_id": pts["site_id"], "month": k, "days": days,
            "contacts": counts[:, j], "calendar": middle / 365.25,
        })[days > 0])
    if not frames:
        return pd.DataFrame(columns=["participant_id", "site_id", "month", "days", "contacts", "calendar"])
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["site_id", "participant_id", "month"], kind="stable").reset_index(drop=True)


def segmented_design(months: pd.DataFrame, anticipation_months: int = GP_ANTICIPATION_MONTHS,
                     slope: bool = False) -> pd.DataFrame:
    """Design matrix of the segmented model (columns ``TERMS``, plus "slope" with ``slope``).

    log E[contacts] = log(days) + b0 + b1 month + b2 [-A <= month <= -1]
    + b3 [month >= 1] + b4 calendar (centred).
    exp(b3) is the level change: the rate after referral against the rate the
    trend projects for it; exp(b2) the anticipation ratio. The trend in time
    since referral is shared by both sides: a separate slope after referral
    makes the level change an extrapolation that a site's 5-13 patients cannot
    carry (site standard errors near 0.7 on the log scale and a downward bias
    of the pooled estimate in simulation), so the level change comes from
    the model without a slope change. ``slope`` adds b5 (month - 1) [month >= 1]:
    exp(b5) is the slope change, the ratio per month after referral beyond
    the shared trend (the level term is then the step at month 1).
    """
    k = months["month"].to_numpy("float64")
    post = (k >= 1).astype("float64")
    calendar = months["calendar"].to_numpy("float64")
    design = pd.DataFrame({
        "const": 1.0, "month": k,
        "anticipation": ((k >= -anticipation_months) & (k <= -1)).astype("float64"),
        "level": post,
        "calendar": calendar - calendar.mean() if len(calendar) else calendar,
    }, index=months.index)
    if slope:
        design["slope"] = (k - 1) * post
    return design


def segmented_fit(months: pd.DataFrame, anticipation_months: int = GP_ANTICIPATION_MONTHS,
                  slope: bool = False) -> dict:
    """Fit the segmented Poisson GEE on ``patient_months`` rows of one group of patients.

    Clustered by patient, independence working correlation, Mancl-DeRouen
    bias-reduced sandwich (statsmodels ``cov_type='bias_reduced'``), so
    overdispersion and within-patient correlation need no model; intervals use
    t with K - 1 df (K patients). Assumes patients independent, the trend log
    linear in time since referral and in calendar time, and that nothing but
    referral changes at referral. Returns {term: (log estimate, se)} for
    "anticipation" and "level_change" (and "slope_change" with ``slope``),
    plus df, n_patients and the fit (None when the model cannot be fitted:
    fewer than MIN_PAIRS patients or no contacts before or after).
    """
    n = int(months["participant_id"].nunique())
    out = {"df": n - 1, "n_patients": n, "fit": None,
           "anticipation": (np.nan, np.nan), "level_change": (np.nan, np.nan), "slope_change": (np.nan, np.nan)}
    before, after = months["month"] < 0, months["month"] > 0
    if n < MIN_PAIRS or months.loc[before, "contacts"].sum() == 0 or months.loc[after, "contacts"].sum() == 0:
        return out
    exog = segmented_design(months, anticipation_months, slope)
    model = GEE(months["contacts"].to_numpy("float64"), exog, groups=months["participant_id"].to_numpy(),
                offset=np.log(months["days"].to_numpy("float64")),
                family=families.Poisson(), cov_struct=cov_struct.Independence())
    fit = model.fit(cov_type="bias_reduced")
    out["fit"] = fit
    terms = (("anticipation", "anticipation"), ("level_change", "level")) + ((("slope_change", "slope"),) if slope else ())
    for name, term in terms:
        out[name] = (float(fit.params[term]), float(fit.bse[term]))
    return out


def site_estimates(
    gp_contacts: pd.DataFrame, patients: pd.DataFrame, window_months: int, *, extract_end, extract_start=None,
) -> pd.DataFrame:
    """Every comparison for one group of patients (usually a site), on the log scale.

    Columns: comparison, log_rr, se, df, n_patients (NaN log_rr where a
    comparison cannot be estimated). Each comparison uses only patients whose
    extract covers all the months it needs.
    """
    rows = []
    a, b = GP_BASELINE_MONTHS
    for name, before in (("window_naive", (-window_months, 0)), ("baseline_anchored", (a, b + 1))):
        counts = period_counts(gp_contacts, patients, before, (0, window_months),
                               extract_start=extract_start, extract_end=extract_end)
        n = len(counts)
        log_rr, se = np.nan, np.nan
        if n >= MIN_PAIRS and counts["n_before"].sum() > 0 and counts["n_after"].sum() > 0:
            fit = paired_rate_ratio(counts["n_before"], counts["n_after"])
            log_rr, se = fit["log_rr"], fit["se"]
        rows.append((name, log_rr, se, n - 1, n))
    months = patient_months(gp_contacts, patients, extract_start=extract_start, extract_end=extract_end)
    fit = segmented_fit(months)
    for name in ("anticipation", "level_change"):
        rows.append((name, *fit[name], fit["df"], fit["n_patients"]))
    fit = segmented_fit(months, slope=True)
    rows.append(("slope_change", *fit["slope_change"], fit["df"], fit["n_patients"]))
    return pd.DataFrame(rows, columns=["comparison", "log_rr", "se", "df", "n_patients"])


def change_rows(estimates: pd.DataFrame, site_id: str, window_months: int) -> pd.DataFrame:
    """``site_estimates`` output as gp_change.csv rows (rate ratios, t intervals)."""
    a, b = GP_BASELINE_MONTHS
    rows = []
    for r in estimates.itertuples():
        low, high = t_interval(r.log_rr, r.se, r.df)
        rows.append({
            "site_id": site_id, "comparison": r.comparison, "rate_ratio": float(np.exp(r.log_rr)),
            "ci95_low": low, "ci95_high": high, "df": int(r.df) if r.n_patients else 0,
            "n_patients": int(r.n_patients),
            "method": SITE_METHODS[r.comparison].format(a=a, b=b, w=window_months),
            "pi95_low": np.nan, "pi95_high": np.nan,
        })
    return pd.DataFrame(rows, columns=list(COLUMNS))


def pool_sites(log_rr, se, df=None) -> dict:
    """Random-effects pooled log rate ratio over sites, with the HKSJ variance and a prediction interval.

    Between-site variance tau^2 by Paule-Mandel and the pooled mean with
    weights w_i = 1 / (se_i^2 + tau^2) (statsmodels ``combine_effects``,
    method_re="iterated"); its variance is the Hartung-Knapp-Sidik-Jonkman
    one, sum w_i (y_i - mu)^2 / ((k - 1) sum w_i), with t on k - 1 df, but
    never below the plain random-effects variance 1 / sum w_i (the ad hoc
    modification of Knapp and Hartung): when the sites agree more than their
    SEs imply, plain HKSJ is narrower than the random-effects interval and
    undercovered in this project's simulations (91.5% with seven alike sites).
    Where Paule-Mandel puts tau^2 at zero (Cochran's Q at most k - 1) and the
    sites' own degrees of freedom ``df`` are given, the variance is that floor,
    1 / sum w_i, which the sites' SEs alone determine, and t takes their
    Welch-Satterthwaite df, (sum w_i)^2 / sum (w_i^2 / df_i), instead of k - 1
    (which covered 97-99% with alike sites).
    The 95% prediction interval for a new site's ratio is
    mu -/+ t(0.975, k - 2) sqrt(tau^2 + var) (needs k >= 3).
    Assumes sites exchangeable and their log ratios normal around mu; with
    few sites tau^2 is imprecise.
    Sites without an estimate or SE are left out. Returns mu, var, df, tau2, k,
    boundary, ci (low, high) and pi (low, high), ci and pi on the ratio scale.
    """
    y = np.asarray(log_rr, dtype="float64")
    v = np.asarray(se, dtype="float64") ** 2
    d = np.full(len(y), np.nan) if df is None else np.asarray(df, dtype="float64")
    keep = np.isfinite(y) & np.isfinite(v) & (v > 0)
    y, v, d = y[keep], v[keep], d[keep]
    k = len(y)
    out = {"mu": np.nan, "var": np.nan, "df": np.nan, "tau2": np.nan, "k": k, "boundary": False,
           "ci": (np.nan, np.nan), "pi": (np.nan, np.nan)}
    if k < 2:
        return out
    res = combine_effects(y, v, method_re="iterated", use_t=True)
    mu, tau2 = float(res.mean_effect_re), float(res.tau2)
    w = 1 / v
    fixed = (w * y).sum() / w.sum()
    boundary = bool((w * (y - fixed) ** 2).sum() <= k - 1)  # Paule-Mandel's tau^2 = 0
    var = max(float(res.var_hksj_re), float(res.var_eff_w_re))
    dof = float(k - 1)
    if boundary and np.all(d >= 1):
        var, dof = 1 / w.sum(), float(w.sum() ** 2 / (w**2 / d).sum())
    half = stats.t.ppf(0.975, dof) * np.sqrt(var)
    out.update(mu=mu, var=var, df=dof, tau2=tau2, boundary=boundary,
               ci=(float(np.exp(mu - half)), float(np.exp(mu + half))))
    if k >= 3:
        half = stats.t.ppf(0.975, k - 2) * np.sqrt(tau2 + var)
        out["pi"] = (float(np.exp(mu - half)), float(np.exp(mu + half)))
    return out


def pooled_rows(estimates: pd.DataFrame) -> pd.DataFrame:
    """gp_change.csv ALL rows from every site's ``site_estimates`` (with a site_id column)."""
    rows = []
    for name in COMPARISONS:
        part = estimates[estimates["comparison"] == name]
        pooled = pool_sites(part["log_rr"], part["se"], part["df"])
        used = part[np.isfinite(part["log_rr"]) & np.isfinite(part["se"]) & (part["se"] > 0)]
        rows.append({
            "site_id": "ALL", "comparison": name, "rate_ratio": float(np.exp(pooled["mu"])),
            "ci95_low": pooled["ci"][0], "ci95_high": pooled["ci"][1], "df": pooled["df"],
            "n_patients": int(used["n_patients"].sum()), "method": POOLED_METHOD,
            "pi95_low": pooled["pi"][0], "pi95_high": pooled["pi"][1],
        })
    return pd.DataFrame(rows, columns=list(COLUMNS))


def fitted_trajectory(months: pd.DataFrame) -> pd.DataFrame:
    """Mean fitted and counterfactual contacts per patient-month from the segmented model of ``months``.

    fitted: the model's mean, per full month (30.44 days), averaged over the
    patient-months observed in each month; counterfactual: the same without
    the anticipation and level terms (what the pre-referral trend projects).
    Empty when the model cannot be fitted.
    """
    fit = segmented_fit(months)["fit"]
    if fit is None:
        return pd.DataFrame(columns=["month", "fitted", "counterfactual"])
    exog = segmented_design(months)
    per_month = 365.25 / 12
    eta = exog.to_numpy() @ fit.params.to_numpy()
    params = fit.params.copy()
    params[["anticipation", "level"]] = 0.0
    eta0 = exog.to_numpy() @ params.to_numpy()
    frame = pd.DataFrame({"month": months["month"], "fitted": np.exp(eta) * per_month,
                          "counterfactual": np.exp(eta0) * per_month})
    return frame.groupby("month", as_index=False).mean()
