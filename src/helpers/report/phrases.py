"""Short phrases for the summaries, glued into the chapters' text (disclosure policy applied)."""

from __future__ import annotations

import pandas as pd

from helpers.report.disclosure import Policy
from helpers.analysis.outcomes import MIN_PAIRS
from helpers.analysis.rules import PRIMARY_OUTCOMES
from helpers.analysis.scoring import LOWER_IS_BETTER


def change_phrase(row, policy: Policy) -> str:
    """E.g. 'went from 5.1 to 6.2 (change +1.10, 95% CI 0.40 to 1.80; 12 patients)'."""
    n = int(row["n_pairs"])
    if n == 0:
        return "could not be compared (no patient answered at both waves)"
    if not policy.allows(n, f"pairs:{row['measure']}", row.get("site_id")):
        return f"is not shown (fewer than {policy.threshold} patients answered at both waves)"
    text = f"went from {row['mean_wave1']:.1f} to {row['mean_wave2']:.1f} (change {row['mean_diff']:+.2f}"
    if n >= MIN_PAIRS and pd.notna(row["ci95_low"]):
        text += f", 95% CI {row['ci95_low']:.2f} to {row['ci95_high']:.2f}"
    else:
        text += ", too few pairs for an interval"
    text += f"; {policy.count(n)} patients"
    if "site_ci95_low" in row and pd.notna(row["site_ci95_low"]):
        text += (f"; allowing for sites, 95% CI {row['site_ci95_low']:.2f} to {row['site_ci95_high']:.2f} "
                 f"with t on {row['site_df']:.1f} df")
    text += ")"
    if row["measure"] in LOWER_IS_BETTER:
        text += ", where lower is better"
    return text


def test_phrase(row, policy: Policy) -> str:
    """The headline test of a pooled outcomes.csv row with its multiplicity adjustment.

    With the site-aware p (site_p, random intercept per site), that is the
    headline and the one adjusted; the paired t-test that ignores sites
    follows. E.g. 'primary outcome: allowing for sites p 0.081 (t on 5.9 df),
    Holm-adjusted over the 2 primary outcomes 0.162; paired t-test ignoring
    sites p 0.050'.
    """
    primary = row["measure"] in PRIMARY_OUTCOMES
    role = "primary outcome" if primary else "secondary outcome"
    if not policy.allows(int(row["n_pairs"])) or pd.isna(row["p_t"]):
        return f"{role}: not tested"
    clustered = "site_p" in row and pd.notna(row["site_p"])
    text = (f"{role}: allowing for sites p {_p_text(row['site_p'])} (t on {row['site_df']:.1f} df)" if clustered
            else f"{role}: paired t-test p {_p_text(row['p_t'])}")
    if primary and pd.notna(row["p_holm"]):
        text += f", Holm-adjusted over the {len(PRIMARY_OUTCOMES)} primary outcomes {_p_text(row['p_holm'])}"
    elif pd.notna(row["q_bh"]):
        text += f", Benjamini-Hochberg q over the secondary outcomes {_p_text(row['q_bh'])}"
    if clustered:
        text += f"; paired t-test ignoring sites p {_p_text(row['p_t'])}"
    return text


def _p_text(value: float) -> str:
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def gp_phrase(summary: pd.DataFrame, policy: Policy) -> str:
    row = summary.iloc[0]
    n = int(row["n_patients"])
    if n == 0:
        return "could not be compared: no patient's GP record covered the window"
    if not policy.allows(n, "gp", row.get("site_id")):
        return f"are not shown (fewer than {policy.threshold} patients)"
    text = (f"averaged {row['mean_before']:.2f} per patient in the {int(row['window_months'])} months before "
            f"referral and {row['mean_after']:.2f} in the same period after ({policy.count(n)} patients")
    if pd.notna(row["rate_ratio"]):
        text += f"; rate ratio {row['rate_ratio']:.2f}, 95% CI {row['rr_ci95_low']:.2f} to {row['rr_ci95_high']:.2f}"
    return text + ")"


def site_summary_phrases(outcomes: pd.DataFrame, gp_summary: pd.DataFrame, follow_up: pd.Series,
                         policy: Policy) -> dict:
    """Phrases keyed by glue name for the site summary."""
    phrases = {f"summary_{r['measure']}": change_phrase(r, policy) for _, r in outcomes.iterrows()}
    phrases["summary_gp"] = gp_phrase(gp_summary, policy)
    phrases["summary_follow_up"] = (f"{policy.count(follow_up['followed up at wave 2'], 'followed_up')} of "
                                    f"{policy.count(follow_up['interviewed at wave 1'], 'patients')}")
    return phrases


def df_text(value) -> str:
    """Degrees of freedom: whole where they are (sites - 1, patients - 1), to one decimal where approximated."""
    if isinstance(value, str):
        return value
    if pd.isna(value):
        return ""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def gp_change_phrase(change: pd.DataFrame, comparison: str, policy: Policy) -> str:
    """One gp_change.csv row (the first with ``comparison``) as a phrase."""
    row = change[change["comparison"] == comparison].iloc[0]
    n = row["n_patients"]  # SUPPRESSED where withheld.protect_pooled_change found it recoverable
    if not policy.allows(n, "gp", row["site_id"]):
        return f"is not shown (fewer than {policy.threshold} patients, or withheld by disclosure control)"
    if pd.isna(row["rate_ratio"]) or pd.isna(row["ci95_low"]):
        return f"could not be estimated ({policy.count(n)} patients)"
    text = (f"was a rate ratio of {row['rate_ratio']:.2f} (95% CI {row['ci95_low']:.2f} to {row['ci95_high']:.2f}, "
            f"t with {df_text(row['df'])} df; {policy.count(n)} patients")
    if "pi95_low" in row and pd.notna(row["pi95_low"]):
        text += f"; 95% prediction interval for a new site {row['pi95_low']:.2f} to {row['pi95_high']:.2f}"
    return text + ")"


def gp_coverage_phrase(coverage: pd.DataFrame, policy: Policy) -> str:
    """What the window rule left out, summed over the rows of ``window_coverage``."""
    if any(policy.hides("gp", site) for site in coverage["site_id"]) and len(coverage) == 1:
        return "What the window rule left out is not shown: this site's GP counts are withheld by disclosure control."
    total = coverage[["n_referred", "n_before_truncated", "n_after_truncated", "referral_day_patients",
                      "referral_day_contacts"]].sum()
    return (f"Of {policy.count(total['n_referred'])} referred patients, {policy.count(total['n_before_truncated'])} "
            f"had a before-window starting before the GP extract and {policy.count(total['n_after_truncated'])} an "
            f"after-window ending after it, and were left out of the window comparison. "
            f"{policy.count(total['referral_day_patients'])} patients had "
            f"{policy.count(total['referral_day_contacts'])} contacts on the referral day itself, "
            "which no window counts.")


def tipping_phrase(missing: pd.DataFrame, measure: str, policy: Policy) -> str:
    """The MAR estimate and the tipping shift of one measure of missing_data.csv."""
    part = missing[missing["measure"] == measure].set_index("method")
    if "multiple_imputation" not in part.index or not policy.allows(int(part["n_followed_up"].iloc[0])):
        return "could not be assessed"
    mi = part.loc["multiple_imputation"]
    text = (f"multiple imputation from the baseline score gives {mi['estimate']:+.2f} "
            f"(95% CI {mi['ci95_low']:.2f} to {mi['ci95_high']:.2f}) against {part.loc['complete_case', 'estimate']:+.2f} "
            "from complete cases")
    tip = mi["tipping_shift"]
    if pd.isna(tip):
        return text
    if tip == 0:
        return text + "; the interval includes no change even if drop-out is at random"
    return text + (f"; the interval reaches no change if lost patients' follow-up scores are {tip:.2f} points "
                   "worse than missing at random predicts")
