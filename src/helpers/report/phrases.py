"""Short phrases for the summaries, glued into the chapters' text (disclosure policy applied)."""

from __future__ import annotations

import pandas as pd

from helpers.report.disclosure import Policy
from helpers.analysis.outcomes import MIN_PAIRS
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
    text += f"; {policy.count(n)} patients)"
    if row["measure"] in LOWER_IS_BETTER:
        text += ", where lower is better"
    return text


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
