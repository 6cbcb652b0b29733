"""Results tables formatted for readers: labels, rounding, what direction is better,
and the disclosure policy applied to every count of people and every statistic from people."""

from __future__ import annotations

import pandas as pd

from helpers.report.disclosure import Policy, protect_statistics, publish
from helpers.analysis.rules import GP_WINDOW_MONTHS as GP_WINDOW
from helpers.analysis.rules import PRIMARY_OUTCOMES as PRIMARY
from helpers.analysis.scoring import LOWER_IS_BETTER, MEASURE_LABELS

OUTCOME_STATISTICS = ["mean_wave1", "mean_wave2", "mean_diff", "ci95_low", "ci95_high", "p_t", "p_wilcoxon",
                      "effect_size", "p_holm", "q_bh", "p_wilcoxon_pratt", "p_wilcoxon_min", "hl_estimate",
                      "hl_ci95_low", "hl_ci95_high", "hedges_gz", "gz_ci95_low", "gz_ci95_high", "site_estimate",
                      "site_ci95_low", "site_ci95_high"]
GP_STATISTICS = ["mean_before", "mean_after", "mean_diff", "p_wilcoxon", "rate_ratio", "rr_ci95_low",
                 "rr_ci95_high"]


def _p(value) -> str:
    if isinstance(value, str):
        return value
    if pd.isna(value):
        return "not tested"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def _adjusted(value) -> str:
    """An adjusted p or q; blank where the row is not in that family."""
    return "" if not isinstance(value, str) and pd.isna(value) else _p(value)


def _num(value, digits=2) -> str:
    if isinstance(value, str):
        return value
    return "" if pd.isna(value) else f"{value:.{digits}f}"


def _interval(low, high) -> str:
    if isinstance(low, str):
        return low
    return "" if pd.isna(low) else f"{low:.2f} to {high:.2f}"


def outcomes_table(outcomes: pd.DataFrame, policy: Policy):
    """outcomes.csv rows for reading: one row per measure (with the site-clustered interval for pooled rows)."""
    safe = protect_statistics(outcomes.reindex(columns=list(outcomes.columns) + [
        c for c in OUTCOME_STATISTICS if c not in outcomes]), policy, "n_pairs", OUTCOME_STATISTICS)
    clustered = "site_ci95_low" in outcomes and outcomes["site_ci95_low"].notna().any()
    rows = []
    for r in safe.itertuples():
        row = {
            "measure": MEASURE_LABELS[r.measure], "better is": "lower" if r.measure in LOWER_IS_BETTER else "higher",
            "pairs": r.n_pairs, "wave 1 mean": _num(r.mean_wave1), "wave 2 mean": _num(r.mean_wave2),
            "change": _num(r.mean_diff), "95% CI": _interval(r.ci95_low, r.ci95_high),
        }
        if clustered:
            boundary = r.site_boundary is True or (not isinstance(r.site_boundary, str) and r.site_boundary == 1)
            row["95% CI allowing for sites"] = (_interval(r.site_ci95_low, r.site_ci95_high)
                                                + (" (site variance estimated as 0)" if boundary else ""))
        row.update({
            "p (t-test)": _p(r.p_t), "Holm p (primary)": _adjusted(r.p_holm), "BH q": _adjusted(r.q_bh),
            "Hedges g_z (95% CI)": _with_interval(r.hedges_gz, r.gz_ci95_low, r.gz_ci95_high),
        })
        rows.append(row)
    return publish(pd.DataFrame(rows).set_index("measure"), policy)


def rank_tests_table(outcomes: pd.DataFrame, policy: Policy):
    """The signed-rank tests and Hodges-Lehmann estimates of outcomes.csv rows, one row per measure."""
    safe = protect_statistics(outcomes, policy, "n_pairs", OUTCOME_STATISTICS)
    rows = []
    for r in safe.itertuples():
        rows.append({
            "measure": MEASURE_LABELS[r.measure], "pairs": r.n_pairs,
            "Hodges-Lehmann change (95% CI)": _with_interval(r.hl_estimate, r.hl_ci95_low, r.hl_ci95_high),
            "p (Wilcoxon, zeros dropped)": _p(r.p_wilcoxon), "p (Wilcoxon, Pratt)": _p(r.p_wilcoxon_pratt),
            "smallest p possible": _p(r.p_wilcoxon_min),
            "can reach 0.05": "" if isinstance(r.p_wilcoxon_min, str) or pd.isna(r.p_wilcoxon_min)
            else ("yes" if r.p_wilcoxon_min <= 0.05 else "no"),
        })
    return publish(pd.DataFrame(rows).set_index("measure"), policy)


def _with_interval(estimate, low, high) -> str:
    if isinstance(estimate, str):
        return estimate
    if pd.isna(estimate):
        return ""
    return f"{estimate:.2f} ({_interval(low, high)})" if not pd.isna(low) else f"{estimate:.2f}"


def gp_summary_table(summary: pd.DataFrame, policy: Policy):
    """gp_contacts.csv rows for reading."""
    safe = protect_statistics(summary, policy, "n_patients", GP_STATISTICS)
    rows = []
    for r in safe.itertuples():
        rows.append({
            "site": r.site_id, "window (months)": int(r.window_months), "patients": r.n_patients,
            "mean before": _num(r.mean_before), "mean after": _num(r.mean_after), "change": _num(r.mean_diff),
            "p (Wilcoxon)": _p(r.p_wilcoxon), "rate ratio": _num(r.rate_ratio),
            "95% CI": _interval(r.rr_ci95_low, r.rr_ci95_high),
        })
    return publish(pd.DataFrame(rows).set_index("site"), policy)


GP_CHANGE_STATISTICS = ["rate_ratio", "ci95_low", "ci95_high", "pi95_low", "pi95_high"]
GP_COMPARISON_LABELS = {
    "window_naive": "naive: {w} months after vs {w} before",
    "baseline_anchored": "months 1 to {w} vs earlier baseline",
    "anticipation": "run-up before referral (model)",
    "level_change": "level change at referral (model)",
}


def gp_change_table(change: pd.DataFrame, policy: Policy, window_months: int):
    """gp_change.csv rows for reading: one row per site (or ALL) and comparison."""
    safe = protect_statistics(change, policy, "n_patients", GP_CHANGE_STATISTICS)
    rows = []
    for r in safe.itertuples():
        rows.append({
            "site": r.site_id, "comparison": GP_COMPARISON_LABELS[r.comparison].format(w=window_months),
            "patients": r.n_patients, "rate ratio": _num(r.rate_ratio), "95% CI": _interval(r.ci95_low, r.ci95_high),
            "df": int(r.df), "95% prediction interval": _interval(r.pi95_low, r.pi95_high),
        })
    return publish(pd.DataFrame(rows).set_index(["site", "comparison"]), policy)


def gp_coverage_table(coverage: pd.DataFrame, policy: Policy):
    """``window_coverage`` rows for reading: who the window rule leaves out, per site."""
    rows = []
    for r in coverage.itertuples():
        rows.append({
            "site": r.site_id, "referred": policy.count(r.n_referred),
            "before-window not in extract": policy.count(r.n_before_truncated),
            "after-window not in extract": policy.count(r.n_after_truncated),
            "compared": policy.count(r.n_included),
            "patients with a contact on the referral day": policy.count(r.referral_day_patients),
            "referral-day contacts (in no window)": policy.count(r.referral_day_contacts),
        })
    return publish(pd.DataFrame(rows).set_index("site"), policy)


def models_table(models: pd.DataFrame, policy: Policy):
    """Mixed-model rows for reading: one line per measure and site characteristic."""
    rows = []
    for r in models.itertuples():
        estimate = getattr(r, "estimate", float("nan"))
        shown = policy.allows(r.n_patients)
        rows.append({
            "measure": MEASURE_LABELS[r.measure], "site characteristic": r.covariate.replace("_", " "),
            "patients (sites)": f"{policy.count(r.n_patients)} ({r.n_sites})",
            "difference at follow-up, adjusted for baseline": _num(estimate) if shown else "suppressed",
            "95% CI": _interval(r.ci95_low, r.ci95_high) if shown and not pd.isna(estimate) else "",
            "p": _p(getattr(r, "p", float("nan"))) if shown and not pd.isna(estimate) else "",
            "df": "" if pd.isna(getattr(r, "df", float("nan"))) else int(r.df),
            "note": r.note,
        })
    return publish(pd.DataFrame(rows).set_index(["measure", "site characteristic"]), policy)


def attrition_table(table: pd.DataFrame, policy: Policy):
    """Baseline scores of followed-up and lost patients, for reading."""
    rows = []
    for r in table.itertuples():
        both = policy.allows(r.n_followed_up) and policy.allows(r.n_lost)
        rows.append({
            "measure": MEASURE_LABELS[r.measure],
            "followed up: n": policy.count(r.n_followed_up),
            "followed up: mean": _num(r.mean_followed_up) if policy.allows(r.n_followed_up) else "suppressed",
            "lost: n": policy.count(r.n_lost),
            "lost: mean": _num(r.mean_lost) if policy.allows(r.n_lost) else "suppressed",
            "difference": _num(r.difference) if both else "suppressed",
            "p (Welch)": _p(r.p_welch) if both else "suppressed",
        })
    return publish(pd.DataFrame(rows).set_index("measure"), policy)


def verdicts_table(rows: pd.DataFrame, cmocs: pd.DataFrame) -> pd.DataFrame:
    """cmoc_verdicts rows for reading: the CMO statement (context; mechanism; outcome) beside the
    counts and the verdict."""
    cmocs = cmocs.set_index("cmoc_id")
    statement = ("In context: " + cmocs["context"] + ". Mechanism: " + cmocs["mechanism"] + ". Outcome: "
                 + cmocs["outcome"] + ".")
    table = rows.set_index("cmoc_id").join(statement.rename("configuration"))
    table = table.rename(columns={"n_supports": "supporting", "n_refutes": "refuting", "n_refines": "refining"})
    return table[["configuration", "supporting", "refuting", "refining", "verdict"]].rename_axis("CMOC")


MISSING_METHOD_LABELS = {"complete_case": "complete cases (MCAR)", "ipw": "inverse probability weights (MAR)",
                         "multiple_imputation": "multiple imputation (MAR)"}


def missing_data_table(missing: pd.DataFrame, policy: Policy):
    """missing_data.csv for reading: one row per measure, one column per method (change and 95% CI)."""
    safe = protect_statistics(missing, policy, "n_followed_up", ["estimate", "ci95_low", "ci95_high",
                                                                   "tipping_shift"])
    rows = {}
    for r in safe.itertuples():
        label = MISSING_METHOD_LABELS.get(r.method, r.method.replace("delta_", "MNAR, shift ") if
                                          r.method.startswith("delta_") else r.method)
        row = rows.setdefault(MEASURE_LABELS[r.measure], {"followed up / baseline":
                                                         f"{policy.count(r.n_followed_up)} / {policy.count(r.n_baseline)}"})
        row[label] = _with_interval(r.estimate, r.ci95_low, r.ci95_high)
        row["tipping shift"] = _num(r.tipping_shift)
    return publish(pd.DataFrame.from_dict(rows, orient="index").rename_axis("measure"), policy)


# The intervals and tests benchmarks/calibration.py measures, as the methods appendix names them.
CALIBRATION_LABELS = {
    "change_t_pooled": "pooled mean change, t interval (patients independent)",
    "change_site_pooled": "pooled mean change, site random intercept, t(K-1)",
    "change_t_site": "site mean change, t interval",
    "hl_pooled": "pooled Hodges-Lehmann change",
    "hl_site": "site Hodges-Lehmann change",
    "gz_pooled": "pooled Hedges g_z (noncentral t)",
    "ipw_pooled": "pooled change, inverse probability weighting",
    "mi_pooled": "pooled change, multiple imputation",
    "gp_window_naive_pooled": "GP naive window ratio, pooled (HKSJ)",
    "gp_baseline_anchored_pooled": "GP baseline-anchored ratio, pooled (HKSJ)",
    "gp_anticipation_pooled": "GP run-up ratio, pooled (HKSJ)",
    "gp_level_change_pooled": "GP level change, pooled (HKSJ)",
    "gp_window_naive_site": "GP naive window ratio, site (GEE, t(n-1))",
    "gp_level_change_site": "GP level change, site (GEE, t(n-1))",
    "p_t_pooled": "pooled paired t-test",
    "p_pratt_pooled": "pooled Wilcoxon (Pratt)",
    "holm_primary_any": "any primary outcome, Holm (familywise)",
    "p_t_site": "site paired t-test (unadjusted)",
    "gp_level_change_pooled_test": "GP level change, pooled, CI excludes 1",
}


def calibration_phrases(calibration: pd.DataFrame, statistics) -> dict:
    """Per statistic of the calibration summary (data/reference/calibration.csv) a table cell:
    'measured (Monte Carlo SE), replicates, within target or not'; 'not measured' when absent.

    Within target: coverage 93-97%, type I error at most 7%.
    """
    by_name = calibration.set_index("statistic")
    out = {}
    for name in statistics:
        if name not in by_name.index:
            out[name] = "not measured"
            continue
        r = by_name.loc[name]
        ok = 0.93 <= r["measured"] <= 0.97 if r["kind"] == "coverage" else r["measured"] <= 0.07
        out[name] = (f"{r['measured']:.1%} ({r['mc_se']:.1%}); {int(r['replicates'])} replicates; "
                     f"{'within' if ok else 'outside'} target")
    return out


def robustness_table(pooled: pd.DataFrame, missing: pd.DataFrame, gp_change: pd.DataFrame,
                     gp_windows: pd.DataFrame, policy: Policy):
    """Each headline under its alternative analyses, side by side.

    ``pooled``: outcomes.csv ALL rows (with site_* columns); ``missing``:
    missing_data.csv; ``gp_change``: gp_change.csv ALL rows; ``gp_windows``:
    gp_contacts.csv-style pooled rows for several window lengths.
    """
    rows = []
    for measure in PRIMARY:
        r = pooled.set_index("measure").loc[measure]
        name = MEASURE_LABELS[measure]
        if not policy.allows(r["n_pairs"]):
            rows.append((name, "all analyses", "suppressed"))
            continue
        rows += [
            (name, "patients independent (t)", _with_interval(r["mean_diff"], r["ci95_low"], r["ci95_high"])),
            (name, "clustered by site (random intercept, t on sites - 1)",
             _with_interval(r["site_estimate"], r["site_ci95_low"], r["site_ci95_high"])),
            (name, "Hodges-Lehmann (rank based)", _with_interval(r["hl_estimate"], r["hl_ci95_low"], r["hl_ci95_high"])),
            (name, "Wilcoxon p, zeros dropped / Pratt", f"{_p(r['p_wilcoxon'])} / {_p(r['p_wilcoxon_pratt'])}"),
        ]
        for m in missing[missing["measure"] == measure].itertuples():
            if m.method in MISSING_METHOD_LABELS or m.method in ("delta_0.5", "delta_1"):
                label = MISSING_METHOD_LABELS.get(m.method, m.method.replace("delta_", "MNAR, shift "))
                rows.append((name, f"drop-out: {label}", _with_interval(m.estimate, m.ci95_low, m.ci95_high)))
    for r in gp_change.itertuples():
        shown = policy.allows(r.n_patients)
        rows.append(("GP contacts (rate ratio)", GP_COMPARISON_LABELS[r.comparison].format(w=GP_WINDOW),
                     _with_interval(r.rate_ratio, r.ci95_low, r.ci95_high) if shown else "suppressed"))
    for r in gp_windows.itertuples():
        shown = policy.allows(r.n_patients)
        rows.append(("GP contacts (rate ratio)", f"naive, {int(r.window_months)}-month windows, patients independent",
                     _with_interval(r.rate_ratio, r.rr_ci95_low, r.rr_ci95_high) if shown else "suppressed"))
    table = pd.DataFrame(rows, columns=["headline", "analysis", "estimate (95% CI) or p"])
    return publish(table.set_index(["headline", "analysis"]), policy)
