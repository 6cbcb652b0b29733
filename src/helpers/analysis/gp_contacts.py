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
import pingouin as pg
from statsmodels.genmod import cov_struct, families
from statsmodels.genmod.generalized_estimating_equations import GEE
from scipy import stats

from helpers.analysis.outcomes import MIN_PAIRS as MIN_PATIENTS

COLUMNS = (
    "site_id", "window_months", "n_patients", "mean_before", "mean_after", "mean_diff",
    "p_wilcoxon", "rate_ratio", "rr_ci95_low", "rr_ci95_high",
)
Z95 = stats.norm.ppf(0.975)


def window_counts(
    gp_contacts: pd.DataFrame, patients: pd.DataFrame, window_months: int = 6, *, extract_end
) -> pd.DataFrame:
    """GP contacts per patient in the W months before and after referral.

    before: referral_date - W months <= contact_date < referral_date;
    after: referral_date < contact_date <= referral_date + W months.
    Contacts on the referral date are in neither. A patient is included only
    if referral_date + W months <= ``extract_end`` (the GP extract end date).
    Returns one row per included patient (participant_id, site_id, n_before,
    n_after), with 0 for patients without contacts.
    """
    pts = _patients(patients)
    pts = pts[_shift(pts["referral_date"], window_months) <= pd.Timestamp(extract_end)]
    contacts = _contacts(gp_contacts, pts)
    dates, referral = contacts["contact_date"], contacts["referral_date"]
    counted = contacts[["participant_id"]].assign(
        n_before=_in_period(dates, referral, -window_months, 0),
        n_after=_in_period(dates, referral, 0, window_months),
    )
    per_patient = counted.groupby("participant_id")[["n_before", "n_after"]].sum()
    out = pts[["participant_id", "site_id"]].join(per_patient, on="participant_id")
    out[["n_before", "n_after"]] = out[["n_before", "n_after"]].fillna(0).astype("int64")
    return out.reset_index(drop=True)


def summarise_windows(counts: pd.DataFrame, site_id: str, window_months: int, wilcoxon: bool = True) -> pd.DataFrame:
    """One-row summary of ``window_counts`` output, in the contract columns.

    ``site_id`` (a site or "ALL") only labels the row: pass the counts of the
    patients to summarise. mean_diff is mean_after - mean_before; p_wilcoxon
    is the two-sided Wilcoxon signed-rank test of after vs before, computed
    as in ``helpers.analysis.outcomes.paired_outcomes``.

    rate_ratio (after / before) comes from a Poisson GEE (statsmodels) of the
    two counts per patient, log link, an "after" indicator, clustered by
    patient with an independence working correlation and the Mancl-DeRouen
    bias-reduced sandwich covariance; its 95% CI is exp(log RR +/- 1.96 SE).
    Why: the sandwich keeps the CI valid under overdispersion and the
    within-patient correlation of the pair, without a distributional
    assumption a negative binomial would add; the bias reduction matters with
    the few patients of one site. With equal exposure (both windows W months)
    the point estimate is sum(after) / sum(before), and in this saturated
    two-period design the covariance is the plain robust sandwich times
    (n / (n - 1))^2.

    ``wilcoxon=False`` leaves p_wilcoxon NaN (for tables that repeat each site's
    row beside the pooled one: the exact test is slow on samples of 10-13 with ties).

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
        row["p_wilcoxon"] = pg.wilcoxon(after, before)["p_val"].iloc[0]
    if n >= MIN_PATIENTS and before.sum() > 0 and after.sum() > 0:
        row["rate_ratio"], row["rr_ci95_low"], row["rr_ci95_high"] = _rate_ratio(before, after)
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
    for k in [*range(-months_before, 0), *range(1, months_after + 1)]:
        if k > 0:
            covered = _shift(pts["referral_date"], k) <= pd.Timestamp(extract_end)
        elif extract_start is not None:
            covered = _shift(pts["referral_date"], k) >= pd.Timestamp(extract_start)
        else:
            covered = pd.Series(True, index=pts.index)
        first, last = (k, k + 1) if k < 0 else (k - 1, k)
        in_month = _in_period(contacts["contact_date"], contacts["referral_date"], first, last)
        n_patients = int(covered.sum())
        n_contacts = int((in_month & contacts["participant_id"].isin(pts.loc[covered, "participant_id"])).sum())
        rows.append((k, n_patients, n_contacts, n_contacts / n_patients if n_patients else np.nan))
    return pd.DataFrame(rows, columns=["month", "n_patients", "n_contacts", "mean_contacts"])


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


def _rate_ratio(before: np.ndarray, after: np.ndarray) -> tuple[float, float, float]:
    n = len(before)
    y = np.concatenate([before, after])
    exog = np.column_stack([np.ones(2 * n), np.repeat([0.0, 1.0], n)])
    # statsmodels.api would import all of statsmodels (about 0.5 s more in every kernel).
    model = GEE(
        y, exog, groups=np.tile(np.arange(n), 2),
        family=families.Poisson(), cov_struct=cov_struct.Independence(),
    )
    fit = model.fit(cov_type="bias_reduced")
    log_rr = fit.params[1]
    if np.all(after * before.sum() == before * after.sum()):
        # Each patient's counts proportional to the totals: every sandwich
        # residual is zero, so there is no spread to build a CI from.
        return float(np.exp(log_rr)), np.nan, np.nan
    se = fit.bse[1]
    return float(np.exp(log_rr)), float(np.exp(log_rr - Z95 * se)), float(np.exp(log_rr + Z95 * se))
