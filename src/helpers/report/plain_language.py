"""The headline numbers in plain words, for the plain-language summary: short clauses, whole
percentages, and what an interval means said outright. Disclosure as everywhere else."""

from __future__ import annotations

import pandas as pd

from helpers.report.disclosure import Policy

PLAIN_NAMES = {"ons_life_satisfaction": "how satisfied people felt with their life (out of 10)",
               "ons_worthwhile": "how worthwhile people felt the things they do are (out of 10)",
               "ons_happy": "how happy people felt the day before (out of 10)",
               "ons_anxious": "how anxious people felt the day before (out of 10, lower is better)",
               "gse_total": "how sure people felt they could handle problems (from 10 to 40)"}


def _plain_number(value: float) -> str:
    """+0.7, -1.4; a value that would round to zero is said in words."""
    if abs(value) < 0.05:
        return "just above 0" if value > 0 else "just below 0" if value < 0 else "0"
    return f"{value:+.1f}"


def plain_change_phrase(row, policy: Policy) -> str:
    """E.g. 'went from 5.9 to 6.3. We are fairly sure it went up: the likely change is between 0.0 and 0.7.'"""
    if not policy.allows(row["n_pairs"]) or pd.isna(row["ci95_low"]):
        return "could not be shown, because too few people answered both times."
    low, high = row["ci95_low"], row["ci95_high"]
    text = f"went from {row['mean_wave1']:.1f} to {row['mean_wave2']:.1f}. "
    if low > 0:
        sure = "We can be fairly sure it went up"
    elif high < 0:
        sure = "We can be fairly sure it went down"
    else:
        sure = "We cannot be sure it changed at all"
    return text + f"{sure}: the likely change is somewhere between {_plain_number(low)} and {_plain_number(high)}."


def plain_gp_phrase(gp_change: pd.DataFrame, policy: Policy) -> str:
    """The level change at referral as 'about N% fewer GP contacts', with its range in words."""
    part = gp_change[gp_change["comparison"] == "level_change"]
    if part.empty or not policy.allows(part["n_patients"].iloc[0]) or pd.isna(part["ci95_low"].iloc[0]):
        return "We could not work out whether GP visits changed when people were referred."
    r = part.iloc[0]

    def amount(ratio: float) -> str:
        change = (ratio - 1) * 100
        return f"{abs(change):.0f}% {'fewer' if change < 0 else 'more'}"

    text = (f"Just after referral, people had about {amount(r['rate_ratio'])} GP contacts than the months before "
            "would lead us to expect")
    if r["ci95_low"] < 1 < r["ci95_high"]:
        return text + (f". But the true figure could be anywhere from {amount(r['ci95_low'])} to "
                       f"{amount(r['ci95_high'])}, so we cannot say that referral changed GP contacts.")
    return text + f" (likely between {amount(r['ci95_low'])} and {amount(r['ci95_high'])})."


def plain_phrases(pooled: pd.DataFrame, gp_change: pd.DataFrame, policy: Policy) -> dict[str, str]:
    """Phrases keyed by glue name: plain_<measure> and plain_gp, plain_n_people."""
    phrases = {f"plain_{r['measure']}": plain_change_phrase(r, policy) for _, r in pooled.iterrows()}
    phrases["plain_gp"] = plain_gp_phrase(gp_change, policy)
    phrases["plain_n_people"] = str(policy.count(int(pooled["n_pairs"].max())))
    return phrases
