"""Results tables formatted for readers: labels, rounding, what direction is better,
and the disclosure policy applied to every count of people and every statistic from people."""

from __future__ import annotations

import pandas as pd

from helpers.analysis.cmoc import CONTRASTS
from helpers.analysis.embeddedness import LEVEL_NAMES
from helpers.analysis.joint_display import MECHANISM_NAMES
from helpers.analysis.rules import GP_WINDOW_MONTHS as GP_WINDOW
from helpers.analysis.rules import PRIMARY_OUTCOMES as PRIMARY
from helpers.analysis.site_context import GROUP_LABELS
from helpers.report.disclosure import SUPPRESSED, Policy, protect_statistics, publish, withheld_roles
from helpers.report.phrases import df_text
from helpers.analysis.scoring import LOWER_IS_BETTER, MEASURE_LABELS

OUTCOME_STATISTICS = ["mean_wave1", "mean_wave2", "mean_diff", "ci95_low", "ci95_high", "p_t", "p_wilcoxon",
                      "effect_size", "p_holm", "q_bh", "p_wilcoxon_pratt", "p_wilcoxon_min", "hl_estimate",
                      "hl_ci95_low", "hl_ci95_high", "hedges_gz", "gz_ci95_low", "gz_ci95_high", "site_estimate",
                      "site_ci95_low", "site_ci95_high", "site_p", "hl_level"]
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


def _pair_lines(outcomes: pd.DataFrame) -> list[tuple[str, str]]:
    """Each outcomes row's line for the withheld cells: patients with both waves of its measure at its site."""
    return [(f"pairs:{m}", s) for m, s in zip(outcomes["measure"], outcomes["site_id"])]


def outcomes_table(outcomes: pd.DataFrame, policy: Policy):
    """outcomes.csv rows for reading: one row per measure (with the site-clustered interval for pooled rows;
    a withheld site's row suppressed)."""
    safe = protect_statistics(outcomes.reindex(columns=list(outcomes.columns) + [
        c for c in OUTCOME_STATISTICS if c not in outcomes]), policy, "n_pairs", OUTCOME_STATISTICS,
        _pair_lines(outcomes))
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
    safe = protect_statistics(outcomes, policy, "n_pairs", OUTCOME_STATISTICS, _pair_lines(outcomes))
    rows = []
    for r in safe.itertuples():
        rows.append({
            "measure": MEASURE_LABELS[r.measure], "pairs": r.n_pairs,
            "Hodges-Lehmann change (95% CI)": _with_interval(r.hl_estimate, r.hl_ci95_low, r.hl_ci95_high),
            "attained level": r.hl_level if isinstance(r.hl_level, str) or pd.isna(r.hl_level) else f"{r.hl_level:.1%}",
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
    """gp_contacts.csv rows for reading (a withheld site's row suppressed)."""
    safe = protect_statistics(summary, policy, "n_patients", GP_STATISTICS, [("gp", s) for s in summary["site_id"]])
    rows = []
    for r in safe.itertuples():
        rows.append({
            "site": r.site_id, "window (months)": int(r.window_months), "patients": r.n_patients,
            "mean before": _num(r.mean_before), "mean after": _num(r.mean_after), "change": _num(r.mean_diff),
            "p (Wilcoxon)": _p(r.p_wilcoxon), "rate ratio": _num(r.rate_ratio),
            "95% CI": _interval(r.rr_ci95_low, r.rr_ci95_high),
        })
    return publish(pd.DataFrame(rows).set_index("site"), policy)


FOLLOW_UP_LINES = {"patients": "patients", "interviewed at wave 1": "patients", "followed up at wave 2": "followed_up"}


def follow_up_table(follow_up: pd.Series, policy: Policy):
    """A site's patients and follow-up, each count suppressed with its line (`policy.at(site)`)."""
    shown = [policy.count(n, FOLLOW_UP_LINES.get(name)) for name, n in follow_up.items()]
    return publish(pd.DataFrame({"patients": shown}, index=follow_up.index), policy)


def participants_table(by_role: pd.DataFrame, policy: Policy):
    """A site's participants by group and role (`participants_by_role`): the patients row follows the
    `patients` line; the professionals' roles add up to the site's published number of professionals,
    so their cells get complementary suppression among themselves."""
    counts = by_role["participants"]
    is_patient = [group == GROUP_LABELS["patient"] for group, _ in counts.index]
    hidden = withheld_roles({role: n for (_, role), n, patient in zip(counts.index, counts, is_patient)
                             if not patient}, policy)  # the same roles the network merges
    shown = [policy.count(n, "patients") if patient else (SUPPRESSED if role in hidden and n > 0 else policy.count(n))
             for (_, role), n, patient in zip(counts.index, counts, is_patient)]
    return publish(by_role.assign(participants=shown), policy)


GP_CHANGE_STATISTICS = ["rate_ratio", "ci95_low", "ci95_high", "df", "pi95_low", "pi95_high"]  # df: n - 1 at a site
GP_COMPARISON_LABELS = {
    "window_naive": "naive: {w} months after vs {w} before",
    "baseline_anchored": "months 1 to {w} vs earlier baseline",
    "anticipation": "run-up before referral (model)",
    "level_change": "level change at referral (model)",
    "slope_change": "slope change after referral, ratio per month (model)",
}


def gp_change_table(change: pd.DataFrame, policy: Policy, window_months: int):
    """gp_change.csv rows for reading: one row per site (or ALL) and comparison."""
    safe = protect_statistics(change, policy, "n_patients", GP_CHANGE_STATISTICS, [("gp", s) for s in change["site_id"]])
    rows = []
    for r in safe.itertuples():
        rows.append({
            "site": r.site_id, "comparison": GP_COMPARISON_LABELS[r.comparison].format(w=window_months),
            "patients": r.n_patients, "rate ratio": _num(r.rate_ratio), "95% CI": _interval(r.ci95_low, r.ci95_high),
            "df": df_text(r.df), "95% prediction interval": _interval(r.pi95_low, r.pi95_high),
        })
    return publish(pd.DataFrame(rows).set_index(["site", "comparison"]), policy)


def gp_coverage_table(coverage: pd.DataFrame, policy: Policy):
    """``window_coverage`` rows for reading: who the window rule leaves out, per site."""
    rows = []
    for r in coverage.itertuples():
        count = (lambda n: SUPPRESSED) if policy.hides("gp", r.site_id) else policy.count  # a withheld GP cell
        rows.append({
            "site": r.site_id, "referred": count(r.n_referred),
            "before-window not in extract": count(r.n_before_truncated),
            "after-window not in extract": count(r.n_after_truncated),
            "compared": count(r.n_included),
            "patients with a contact on the referral day": count(r.referral_day_patients),
            "referral-day contacts (in no window)": count(r.referral_day_contacts),
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


def verdicts_table(rows: pd.DataFrame, cmocs: pd.DataFrame, policy=None) -> pd.DataFrame:
    """cmoc_verdicts rows for reading: the context, mechanism and outcome in a column each beside
    the evidence ledger, the verdict and whether the evidence refines it. `policy` (a disclosure
    Policy) protects the count of people."""
    statement = cmocs.set_index("cmoc_id")[["context", "mechanism", "outcome"]]
    table = rows.set_index("cmoc_id").join(statement)
    table["support_share"] = table["support_share"].map(lambda v: "" if pd.isna(v) else f"{v:.0%}")
    if policy is not None:
        table["n_people"] = table["n_people"].map(policy.count)
    table = table.rename(columns={"n_supports": "supporting", "n_refutes": "refuting", "n_refines": "refining",
                                  "n_people": "people", "n_sources": "kinds of source", "n_sites": "sites",
                                  "support_share": "weighed support"})
    return table[["context", "mechanism", "outcome", "supporting", "refuting", "refining", "people",
                  "kinds of source", "sites", "weighed support", "verdict", "refined"]].rename_axis("CMOC")


def verdict_counts_phrase(rows: pd.DataFrame) -> str:
    """cmoc_verdicts rows counted by verdict, e.g. '8 confirmed, 3 contested and 2 refuted (of 13 CMOCs)'."""
    counts = rows["verdict"].value_counts()
    order = [v for v in ("confirmed", "contested", "refuted", "insufficient evidence", "no evidence") if v in counts]
    parts = [f"{counts[v]} {v}" for v in order] + [f"{n} {v}" for v, n in counts.items() if v not in order]
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"{listed} (of {len(rows)} CMOCs)"


def refinement_table(statements: pd.DataFrame, overall: pd.DataFrame) -> pd.DataFrame:
    """Initial and refined wording side by side for every CMOC with a recorded refinement
    (`statements`: helpers.analysis.cmoc.refined_statements; `overall`: pooled cmoc_verdicts rows)."""
    judged = overall.set_index("cmoc_id")[["verdict", "refined"]]
    shown = statements[statements["has_refinement"]].join(judged)
    rows = {}
    for cmoc_id, r in shown.iterrows():
        for part in ("context", "mechanism", "outcome"):
            initial, refined = r[f"initial_{part}"], r[f"refined_{part}"]
            rows[(cmoc_id, part)] = {"initial": initial, "refined": "unchanged" if refined == initial else refined,
                                     "verdict (refined?)": f"{r['verdict']} ({r['refined']})"}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis(["CMOC", "part"])


def contrast_table(rows: pd.DataFrame, cmoc_id: str) -> pd.DataFrame:
    """One CMOC's stances by site context (rows of helpers.analysis.cmoc.contrast) for reading."""
    mine = rows[rows["cmoc_id"] == cmoc_id].assign(context=lambda f: f["context"].map(CONTRASTS))
    mine = mine.rename(columns={"n_supports": "supporting", "n_refutes": "refuting", "n_refines": "refining",
                                "n_sites": "sites"})
    return mine.set_index(["context", "value"])[["sites", "supporting", "refuting", "refining"]]


def agreement_table(rows: pd.DataFrame, codebook: pd.DataFrame) -> pd.DataFrame:
    """coder_agreement rows for reading: code label, segments, coders, alpha with its interval, kappa."""
    labels = dict(zip(codebook["code_id"], codebook["label"]))

    def fmt(v) -> str:
        return "not computed" if pd.isna(v) else f"{v:.2f}"
    return pd.DataFrame({
        "code": ["all codes together" if c == "ALL" else labels.get(c, c) for c in rows["code_id"]],
        "double-coded segments": rows["n_segments"].to_numpy(),
        "coders": rows["n_coders"].to_numpy(),
        "Krippendorff's alpha": [fmt(v) for v in rows["alpha"]],
        "95% CI": ["" if pd.isna(lo) else f"{lo:.2f} to {hi:.2f}"
                   for lo, hi in zip(rows["alpha_ci95_low"], rows["alpha_ci95_high"])],
        "Cohen's kappa": [fmt(v) for v in rows["kappa"]],
    }).set_index("code")


def joint_display_table(rows: pd.DataFrame, policy: Policy, site_id: str = "ALL"):
    """One site's (or the pooled) joint display for reading, under the disclosure policy: for each
    mechanism and outcome, patients with and without the mechanism and their mean changes. A mean
    resting on fewer people than the threshold is suppressed, and so is a difference using it."""
    labels = {**MEASURE_LABELS, "gp_contacts": "GP contacts (after - before)"}
    mine = rows[rows["site_id"] == site_id]
    out = []
    for r in mine.itertuples(index=False):
        show_p, show_a = policy.allows(r.n_present), policy.allows(r.n_absent)
        out.append({
            "mechanism": MECHANISM_NAMES[r.mechanism],
            "change in": labels[r.measure] + (" (lower is better)" if r.measure in LOWER_IS_BETTER else ""),
            "present: n": policy.count(r.n_present),
            "present: mean change": _num(r.mean_present) if show_p else "suppressed",
            "absent: n": policy.count(r.n_absent),
            "absent: mean change": _num(r.mean_absent) if show_a else "suppressed",
            "difference": _num(r.difference) if show_p and show_a else "suppressed",
        })
    return publish(pd.DataFrame(out).set_index(["mechanism", "change in"]), policy)


def embeddedness_distribution_table(rows: pd.DataFrame) -> pd.DataFrame:
    """embeddedness rows for reading: segments and sources, the share at each level, polarisation,
    score with its participant-bootstrap interval, and the position (marked when the site is split)."""
    return pd.DataFrame({
        "site": rows["site_id"].to_numpy(),
        "segments": rows["n_segments"].to_numpy(),
        "people or documents": rows["n_people"].to_numpy(),
        **{LEVEL_NAMES[level]: rows[f"share_{level}"].map(lambda v: "" if pd.isna(v) else f"{v:.0%}").to_numpy()
           for level in ("bolted_on", "fitting_in", "belonging")},
        "polarisation": rows["polarisation"].map(lambda v: "" if pd.isna(v) else f"{v:.2f}").to_numpy(),
        "score (95% CI)": ["" if pd.isna(s) else f"{s:+.2f} ({lo:+.2f} to {hi:+.2f})"
                           for s, lo, hi in zip(rows["score"], rows["ci95_low"], rows["ci95_high"])],
        "position": [LEVEL_NAMES[p] + (" (split)" if split else "") for p, split in zip(rows["position"],
                                                                                        rows["split"])],
    }).set_index("site")


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
    "change_site_pooled": "pooled mean change, site random intercept, t (Satterthwaite df)",
    "change_site_pooled_hetero": "pooled mean change, site random intercept, sites differing",
    "change_t_pooled_hetero": "pooled mean change, t interval (patients independent), sites differing",
    "change_t_site": "site mean change, t interval",
    "hl_pooled": "pooled Hodges-Lehmann change (target: attained level)",
    "hl_site": "site Hodges-Lehmann change (target: attained level)",
    "gz_pooled": "pooled Hedges g_z (noncentral t)",
    "ipw_pooled": "pooled change, inverse probability weighting (drop-out MAR given baseline)",
    "mi_pooled": "pooled change, multiple imputation (drop-out MAR given baseline)",
    "ipw_pooled_synth": "pooled change, inverse probability weighting (synthetic drop-out, not MAR)",
    "mi_pooled_synth": "pooled change, multiple imputation (synthetic drop-out, not MAR)",
    "gp_window_naive_pooled": "GP naive window ratio, pooled (HKSJ)",
    "gp_baseline_anchored_pooled": "GP baseline-anchored ratio, pooled (HKSJ)",
    "gp_anticipation_pooled": "GP run-up ratio, pooled (HKSJ)",
    "gp_level_change_pooled": "GP level change, pooled (HKSJ)",
    "gp_slope_change_pooled": "GP slope change, pooled (HKSJ)",
    "gp_anticipation_pooled_hetero": "GP run-up ratio, pooled (HKSJ), sites differing",
    "gp_level_change_pooled_hetero": "GP level change, pooled (HKSJ), sites differing",
    "gp_slope_change_pooled_hetero": "GP slope change, pooled (HKSJ), sites differing",
    "gp_window_naive_site": "GP naive window ratio, site (GEE, t(n-1))",
    "gp_level_change_site": "GP level change, site (GEE, t(n-1))",
    "gp_slope_change_site": "GP slope change, site (GEE, t(n-1))",
    "p_t_pooled": "pooled paired t-test",
    "p_pratt_pooled": "pooled Wilcoxon (Pratt)",
    "p_site_pooled": "pooled test allowing for sites (random intercept)",
    "holm_primary_any": "any primary outcome, Holm on the site-aware p (familywise)",
    "p_t_site": "site paired t-test (unadjusted)",
    "gp_level_change_pooled_test": "GP level change, pooled, CI excludes 1",
}


def calibration_phrases(calibration: pd.DataFrame, statistics) -> dict:
    """Per statistic of the calibration summary (data/reference/calibration.csv) a table cell:
    'measured (Monte Carlo SE), replicates, within target or not'; 'not measured' when absent.

    Within target: coverage within 2 points of the row's target (93-97% for 95%; an interval
    whose attained level is not 95%, like the rank-based ones, is judged against that level,
    which the cell then names), type I error at most 7%.
    """
    by_name = calibration.set_index("statistic")
    out = {}
    for name in statistics:
        if name not in by_name.index:
            out[name] = "not measured"
            continue
        r = by_name.loc[name]
        # coverage within 2 points of its target (95%, or an attained level below or above it)
        ok = abs(r["measured"] - r["target"]) <= 0.02 if r["kind"] == "coverage" else r["measured"] <= 0.07
        target = f"against an attained level of {r['target']:.1%}; " if r["kind"] == "coverage" and abs(
            r["target"] - 0.95) > 5e-4 else ""
        out[name] = (f"{r['measured']:.1%} ({r['mc_se']:.1%}); {int(r['replicates'])} replicates; {target}"
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
            (name, "clustered by site (random intercept, t on Satterthwaite df)",
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
