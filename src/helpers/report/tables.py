"""Results tables formatted for readers: labels, rounding, what direction is better,
and the disclosure policy applied to every count of people and every statistic from people."""

from __future__ import annotations

import pandas as pd

from helpers.analysis.site_context import GROUP_LABELS
from helpers.report.disclosure import SUPPRESSED, Policy, complementary_cells, protect_statistics, publish
from helpers.analysis.scoring import LOWER_IS_BETTER, MEASURE_LABELS

OUTCOME_STATISTICS = ["mean_wave1", "mean_wave2", "mean_diff", "ci95_low", "ci95_high", "p_t", "p_wilcoxon",
                      "effect_size"]
GP_STATISTICS = ["mean_before", "mean_after", "mean_diff", "p_wilcoxon", "rate_ratio", "rr_ci95_low",
                 "rr_ci95_high"]


def _p(value) -> str:
    if isinstance(value, str):
        return value
    if pd.isna(value):
        return "not tested"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def _num(value, digits=2) -> str:
    if isinstance(value, str):
        return value
    return "" if pd.isna(value) else f"{value:.{digits}f}"


def _interval(low, high) -> str:
    if isinstance(low, str):
        return low
    return "" if pd.isna(low) else f"{low:.2f} to {high:.2f}"


def outcomes_table(outcomes: pd.DataFrame, policy: Policy):
    """outcomes.csv rows for reading: one row per measure (a withheld site's row suppressed)."""
    safe = protect_statistics(outcomes, policy, "n_pairs", OUTCOME_STATISTICS,
                              [(f"pairs:{m}", s) for m, s in zip(outcomes["measure"], outcomes["site_id"])])
    rows = []
    for r in safe.itertuples():
        rows.append({
            "measure": MEASURE_LABELS[r.measure], "better is": "lower" if r.measure in LOWER_IS_BETTER else "higher",
            "pairs": r.n_pairs, "wave 1 mean": _num(r.mean_wave1), "wave 2 mean": _num(r.mean_wave2),
            "change": _num(r.mean_diff), "95% CI": _interval(r.ci95_low, r.ci95_high),
            "p (t-test)": _p(r.p_t), "p (Wilcoxon)": _p(r.p_wilcoxon), "effect size (d_z)": _num(r.effect_size),
        })
    return publish(pd.DataFrame(rows).set_index("measure"), policy)


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
    roles = {i: n for i, (n, patient) in enumerate(zip(counts, is_patient)) if not patient}
    hidden = complementary_cells(roles, policy)
    shown = [policy.count(n, "patients") if patient else (SUPPRESSED if i in hidden and n > 0 else policy.count(n))
             for i, (n, patient) in enumerate(zip(counts, is_patient))]
    return publish(by_role.assign(participants=shown), policy)


def models_table(models: pd.DataFrame, policy: Policy):
    """Mixed-model rows for reading: one line per measure and site characteristic."""
    rows = []
    for r in models.itertuples():
        estimate = getattr(r, "estimate", float("nan"))
        shown = policy.allows(r.n_patients)
        rows.append({
            "measure": MEASURE_LABELS[r.measure], "site characteristic": r.covariate.replace("_", " "),
            "patients (sites)": f"{policy.count(r.n_patients)} ({r.n_sites})",
            "difference in change": _num(estimate) if shown else "suppressed",
            "95% CI": _interval(r.ci95_low, r.ci95_high) if shown and not pd.isna(estimate) else "",
            "p": _p(getattr(r, "p", float("nan"))) if shown and not pd.isna(estimate) else "",
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
