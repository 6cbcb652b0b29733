"""GP contacts before and after referral to the link worker (``gp_contacts.csv``
of the results contract, and the month-by-month trajectory).

Windows follow the data contract. Months are calendar months, added with
``pandas.DateOffset(months=k)``: the day of the month is kept and clipped to
the last day of shorter months, so 31 August + 6 months is 28 (or 29)
February, and 31 August - 6 months is 28 (or 29) February too. Every boundary is
computed from the referral date itself (never by stepping month to month), so
consecutive months tile the windows without gaps or overlaps.

Inputs are contract tables: ``gp_contacts`` (participant_id, contact_date) and
participants (participant_id, site_id, group, referral_date); only rows with
group "patient" (when the column is present) and a referral date are used.
Dates may be datetime64 of any unit or ISO strings.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.analysis.rules import MIN_PAIRS as MIN_PATIENTS

COLUMNS = (
    "site_id", "window_months", "n_patients", "mean_before", "mean_after", "mean_diff",
    "p_wilcoxon", "rate_ratio", "rr_ci95_low", "rr_ci95_high",
)


def window_counts(
    gp_contacts: pd.DataFrame, patients: pd.DataFrame, window_months: int = 6, *, extract_end,
    extract_start=None,
) -> pd.DataFrame:
    """GP contacts per patient in the W months before and after referral.

    before: referral_date - W months <= contact_date < referral_date;
    after: referral_date < contact_date <= referral_date + W months.
    Contacts on the referral date are in neither (``window_coverage`` counts
    them). A patient is included only if the GP extract covers both windows:
    referral_date + W months <= ``extract_end`` and, when ``extract_start`` is
    given, referral_date - W months >= ``extract_start`` (a truncated window
    would count missing months as months without contacts).
    Returns one row per included patient (participant_id, site_id, n_before,
    n_after), with 0 for patients without contacts.
    """
    return period_counts(gp_contacts, patients, (-window_months, 0), (0, window_months),
                         extract_start=extract_start, extract_end=extract_end)


def period_counts(
    gp_contacts: pd.DataFrame, patients: pd.DataFrame, before: tuple[int, int], after: tuple[int, int], *,
    extract_end, extract_start=None,
) -> pd.DataFrame:
    """GP contacts per patient in two periods given as (first, last) month offsets from referral.

    A before period (first < last <= 0) is R + first months <= date < R + last
    months; an after period (0 <= first < last) is R + first months < date <=
    R + last months (R the referral date, calendar months as in the module
    docstring). ``window_counts`` is (-W, 0) and (0, W); months -12 to -7 are
    (-12, -6). Patients whose periods the extract does not cover are left out.
    """
    pts = _covered(_patients(patients), before[0], after[1], extract_start, extract_end)
    contacts = _contacts(gp_contacts, pts)
    dates, referral = contacts["contact_date"], contacts["referral_date"]
    counted = contacts[["participant_id"]].assign(
        n_before=_in_period(dates, referral, *before),
        n_after=_in_period(dates, referral, *after),
    )
    per_patient = counted.groupby("participant_id")[["n_before", "n_after"]].sum()
    out = pts[["participant_id", "site_id"]].join(per_patient, on="participant_id")
    out[["n_before", "n_after"]] = out[["n_before", "n_after"]].fillna(0).astype("int64")
    return out.reset_index(drop=True)


def window_coverage(
    gp_contacts: pd.DataFrame, patients: pd.DataFrame, window_months: int = 6, *, extract_end,
    extract_start=None,
) -> pd.DataFrame:
    """What the window rule leaves out, per site: one row per site_id.

    n_referred: patients with a referral date; n_before_truncated: the extract
    starts after referral - W months (only with ``extract_start``);
    n_after_truncated: the extract ends before referral + W months (a patient
    can be both); n_included: the rest (the patients of ``window_counts``);
    referral_day_patients / referral_day_contacts: referred patients with a
    contact on the referral date itself, and those contacts (in no window).
    """
    pts = _patients(patients)
    ref = pts["referral_date"]
    early = (_shift(ref, -window_months) < pd.Timestamp(extract_start)) if extract_start is not None else False
    late = _shift(ref, window_months) > pd.Timestamp(extract_end)
    contacts = _contacts(gp_contacts, pts)
    same_day = contacts[contacts["contact_date"] == contacts["referral_date"]]
    pts = pts.assign(before_truncated=early, after_truncated=late,
                     referral_day_contacts=pts["participant_id"].map(same_day["participant_id"].value_counts())
                     .fillna(0).astype("int64"))
    pts["included"] = ~(pts["before_truncated"] | pts["after_truncated"])
    grouped = pts.groupby("site_id", sort=True)
    out = pd.DataFrame({
        "n_referred": grouped.size(),
        "n_before_truncated": grouped["before_truncated"].sum(),
        "n_after_truncated": grouped["after_truncated"].sum(),
        "n_included": grouped["included"].sum(),
        "referral_day_patients": grouped["referral_day_contacts"].apply(lambda c: int((c > 0).sum())),
        "referral_day_contacts": grouped["referral_day_contacts"].sum(),
    }).astype("int64")
    return out.rename_axis("site_id").reset_index()


def summarise_windows(counts: pd.DataFrame, site_id: str, window_months: int, wilcoxon: bool = True) -> pd.DataFrame:
    """One-row summary of ``window_counts`` output, in the contract columns.

    ``site_id`` (a site or "ALL") only labels the row: pass the counts of the
    patients to summarise. mean_diff is mean_after - mean_before; p_wilcoxon
    is the two-sided Wilcoxon signed-rank test of after vs before, computed
    as in ``helpers.analysis.outcomes.paired_outcomes``.

    rate_ratio (after / before) comes from a Poisson GEE (statsmodels) of the
    two counts per patient, log link, an "after" indicator, clustered by
    patient with an independence working correlation and the Mancl-DeRouen
    bias-reduced sandwich covariance; its 95% CI is exp(log RR +/- t SE) with
    t the 97.5% point of Student's t on n - 1 degrees of freedom (n patients):
    with a normal reference the interval undercovers at a site's 5-13 patients.
    Why: the sandwich keeps the CI valid under overdispersion and the
    within-patient correlation of the pair, without a distributional
    assumption a negative binomial would add; the bias reduction matters with
    the few patients of one site. With equal exposure (both windows W months)
    the point estimate is sum(after) / sum(before), and in this saturated
    two-period design the covariance is the plain robust sandwich times
    (n / (n - 1))^2.

    ``wilcoxon=False`` leaves p_wilcoxon NaN (for tables that repeat each site's
    row beside the pooled one, where the site's own page gives its test).

    With fewer than ``MIN_PATIENTS`` patients only n and means are given.
    p_wilcoxon is NaN when no patient's counts changed; the rate ratio when
    either window has no contacts at all (undefined on the log scale), and its
    CI when the sandwich gives no spread (every patient's counts proportional).
    """
    before = counts["n_before"].to_numpy("float64")
    after = counts["n_after"].to_numpy("float64")
    n = len(before)
    row = {
        "site_id": site_id,
        "window_months": window_months,
        "n_patients": n,
        "mean_before": before.mean() if n else np.nan,
        "mean_after": after.mean() if n else np.nan,
        "mean_diff": (after - before).mean() if n else np.nan,
        "p_wilcoxon": np.nan,
        "rate_ratio": np.nan,
        "rr_ci95_low": np.nan,
        "rr_ci95_high": np.nan,
    }
    if wilcoxon and n >= MIN_PATIENTS and np.any(after != before):
        from helpers.analysis.small_sample import signed_rank_p  # here: the run's parent imports this module, not SciPy

        row["p_wilcoxon"] = signed_rank_p(after - before, correction=True)
    if n >= MIN_PATIENTS and before.sum() > 0 and after.sum() > 0:
        fit = paired_rate_ratio(before, after)
        row["rate_ratio"] = np.exp(fit["log_rr"])
        row["rr_ci95_low"], row["rr_ci95_high"] = t_interval(fit["log_rr"], fit["se"], fit["df"])
    return pd.DataFrame([row], columns=list(COLUMNS))


def monthly_trajectory(
    gp_contacts: pd.DataFrame,
    patients: pd.DataFrame,
    months_before: int = 12,
    months_after: int = 12,
    *,
    extract_end,
    extract_start=None,
) -> pd.DataFrame:
    """Mean GP contacts per patient in each month around referral.

    Month k (R = referral date, "+ k" in calendar months as above):
    for k = -months_before .. -1, R + k <= date < R + (k + 1);
    for k = 1 .. months_after, R + (k - 1) < date <= R + k.
    So month -1 ends the day before referral, month 1 starts the day after,
    the referral date is in no month, and months 1..W add up to the "after"
    window of ``window_counts`` (months -W..-1 to "before").

    A month counts a patient only when the extract covers all of it:
    R + k <= ``extract_end`` for k > 0, and R + k >= ``extract_start`` for
    k < 0 when ``extract_start`` is given (else every before-month counts).
    Returns month, n_patients, n_contacts, mean_contacts (NaN with no patients).
    """
    pts = _patients(patients)
    contacts = _contacts(gp_contacts, pts)
    rows = []
    for k in _months(months_before, months_after):
        covered = _month_covered(pts["referral_date"], k, extract_start, extract_end)
        first, last = (k, k + 1) if k < 0 else (k - 1, k)
        in_month = _in_period(contacts["contact_date"], contacts["referral_date"], first, last)
        n_patients = int(covered.sum())
        n_contacts = int((in_month & contacts["participant_id"].isin(pts.loc[covered, "participant_id"])).sum())
        rows.append((k, n_patients, n_contacts, n_contacts / n_patients if n_patients else np.nan))
    return pd.DataFrame(rows, columns=["month", "n_patients", "n_contacts", "mean_contacts"])


def patients_per_month(patients: pd.DataFrame, sites: list[str], months_before: int = 12, months_after: int = 12,
                       *, extract_end, extract_start=None) -> dict[int, dict[str, int]]:
    """month -> {site_id: patients whose record covers that month}: the `n_patients` of
    `monthly_trajectory` at each site (same rule), counted for every site in one pass, without
    the contacts table (a site with no patients counts 0)."""
    pts = _patients(patients)
    counts = {}
    for k in _months(months_before, months_after):
        covered = _month_covered(pts["referral_date"], k, extract_start, extract_end)
        per_site = pts.loc[covered, "site_id"].value_counts()
        counts[k] = {site: int(per_site.get(site, 0)) for site in sites}
    return counts


def _months(months_before: int, months_after: int) -> list[int]:
    """The months around referral a trajectory shows: -months_before .. -1, then 1 .. months_after."""
    return [*range(-months_before, 0), *range(1, months_after + 1)]


def _month_covered(referral: pd.Series, k: int, extract_start, extract_end) -> pd.Series:
    """Whether the extract covers all of month k around each referral date (see monthly_trajectory)."""
    if k > 0:
        return _shift(referral, k) <= pd.Timestamp(extract_end)
    if extract_start is not None:
        return _shift(referral, k) >= pd.Timestamp(extract_start)
    return pd.Series(True, index=referral.index)


def _covered(pts: pd.DataFrame, first: int, last: int, extract_start, extract_end) -> pd.DataFrame:
    """Patients whose extract covers months first..last around referral."""
    keep = _shift(pts["referral_date"], last) <= pd.Timestamp(extract_end)
    if extract_start is not None:
        keep &= _shift(pts["referral_date"], first) >= pd.Timestamp(extract_start)
    return pts[keep]


def _patients(participants: pd.DataFrame) -> pd.DataFrame:
    pts = participants
    if "group" in pts:
        pts = pts[pts["group"] == "patient"]
    pts = pts[["participant_id", "site_id"]].assign(referral_date=pd.to_datetime(pts["referral_date"]))
    return pts.dropna(subset=["referral_date"])


def _contacts(gp_contacts: pd.DataFrame, pts: pd.DataFrame) -> pd.DataFrame:
    """Contacts of the given patients, with each patient's referral date."""
    contacts = gp_contacts[["participant_id"]].assign(contact_date=pd.to_datetime(gp_contacts["contact_date"]))
    return contacts.merge(pts[["participant_id", "referral_date"]], on="participant_id")


def _shift(dates: pd.Series, months: int) -> pd.Series:
    return dates + pd.DateOffset(months=months)


def _in_period(dates: pd.Series, referral: pd.Series, first: int, last: int) -> pd.Series:
    """Whether each date lies in months first..last relative to referral
    (first < last, both <= 0 or both >= 0): the side next to the referral date
    is open, so the referral date itself is never in a period."""
    if last <= 0:
        return (dates >= _shift(referral, first)) & (dates < _shift(referral, last))
    return (dates > _shift(referral, first)) & (dates <= _shift(referral, last))


def paired_rate_ratio(before: np.ndarray, after: np.ndarray) -> dict:
    """log rate ratio (after / before) of paired counts with its Mancl-DeRouen SE and df = n - 1.

    Poisson GEE as in ``summarise_windows``; equal exposure in both periods.
    Assumes patients independent (not clustered within a higher level) and
    both totals above zero. se is NaN when every patient's counts are
    proportional to the totals (the sandwich has no spread).
    """
    before = np.asarray(before, dtype="float64")
    after = np.asarray(after, dtype="float64")
    n = len(before)
    y = np.concatenate([before, after])
    exog = np.column_stack([np.ones(2 * n), np.repeat([0.0, 1.0], n)])
    # Imported here, and not statsmodels.api (all of statsmodels): the run's parent imports this
    # module to count patients for disclosure control and never fits a model.
    from statsmodels.genmod import cov_struct, families
    from statsmodels.genmod.generalized_estimating_equations import GEE

    model = GEE(
        y, exog, groups=np.tile(np.arange(n), 2),
        family=families.Poisson(), cov_struct=cov_struct.Independence(),
    )
    fit = model.fit(cov_type="bias_reduced")
    log_rr = float(fit.params[1])
    # Each patient's counts proportional to the totals: every sandwich residual is zero.
    se = np.nan if np.all(after * before.sum() == before * after.sum()) else float(fit.bse[1])
    return {"log_rr": log_rr, "se": se, "df": n - 1}


def t_interval(log_estimate: float, se: float, df: float) -> tuple[float, float]:
    """95% interval exp(log_estimate -/+ t(0.975, df) * se); NaN without an SE or df < 1."""
    if not np.isfinite(se) or not df >= 1:
        return np.nan, np.nan
    from scipy import stats  # imported on use, as in paired_rate_ratio

    half = stats.t.ppf(0.975, df) * se
    return float(np.exp(log_estimate - half)), float(np.exp(log_estimate + half))
