"""Results tables formatted for readers: labels, rounding, and what direction is better."""

from __future__ import annotations

import pandas as pd

from helpers.scoring import LOWER_IS_BETTER, MEASURE_LABELS


def _p(value) -> str:
    if pd.isna(value):
        return "not tested"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def _num(value, digits=2) -> str:
    return "" if pd.isna(value) else f"{value:.{digits}f}"


def show_outcomes(outcomes: pd.DataFrame) -> pd.DataFrame:
    """outcomes.csv rows for reading: one row per measure."""
    rows = []
    for r in outcomes.itertuples():
        better = "lower" if r.measure in LOWER_IS_BETTER else "higher"
        rows.append({
            "measure": MEASURE_LABELS[r.measure], "better is": better, "pairs": int(r.n_pairs),
            "wave 1 mean": _num(r.mean_wave1), "wave 2 mean": _num(r.mean_wave2),
            "change": _num(r.mean_diff),
            "95% CI": "" if pd.isna(r.ci95_low) else f"{r.ci95_low:.2f} to {r.ci95_high:.2f}",
            "p (t-test)": _p(r.p_t), "p (Wilcoxon)": _p(r.p_wilcoxon),
            "effect size (d_z)": _num(r.effect_size),
        })
    return pd.DataFrame(rows).set_index("measure")


def show_gp_summary(summary: pd.DataFrame) -> pd.DataFrame:
    """gp_contacts.csv rows for reading."""
    rows = []
    for r in summary.itertuples():
        rows.append({
            "site": r.site_id, "window (months)": int(r.window_months), "patients": int(r.n_patients),
            "mean before": _num(r.mean_before), "mean after": _num(r.mean_after), "change": _num(r.mean_diff),
            "p (Wilcoxon)": _p(r.p_wilcoxon), "rate ratio": _num(r.rate_ratio),
            "95% CI": "" if pd.isna(r.rr_ci95_low) else f"{r.rr_ci95_low:.2f} to {r.rr_ci95_high:.2f}",
        })
    return pd.DataFrame(rows).set_index("site")


def show_models(models: pd.DataFrame) -> pd.DataFrame:
    """Mixed-model rows for reading: one line per measure and site characteristic."""
    rows = []
    for r in models.itertuples():
        estimate = getattr(r, "estimate", float("nan"))
        rows.append({
            "measure": MEASURE_LABELS[r.measure], "site characteristic": r.covariate.replace("_", " "),
            "patients (sites)": f"{r.n_patients} ({r.n_sites})",
            "difference in change": _num(estimate),
            "95% CI": "" if pd.isna(estimate) else f"{r.ci95_low:.2f} to {r.ci95_high:.2f}",
            "p": _p(getattr(r, "p", float("nan"))) if not pd.isna(estimate) else "",
            "note": r.note,
        })
    return pd.DataFrame(rows).set_index(["measure", "site characteristic"])


def show_attrition(table: pd.DataFrame) -> pd.DataFrame:
    """Baseline scores of followed-up and lost patients, for reading."""
    rows = []
    for r in table.itertuples():
        rows.append({
            "measure": MEASURE_LABELS[r.measure],
            "followed up: n": r.n_followed_up, "followed up: mean": _num(r.mean_followed_up),
            "lost: n": r.n_lost, "lost: mean": _num(r.mean_lost),
            "difference": _num(r.difference), "p (Welch)": _p(r.p_welch),
        })
    return pd.DataFrame(rows).set_index("measure")
