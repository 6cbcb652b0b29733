"""The analysis rules' constants, offered to the book's prose as MyST substitutions.

The methods chapter writes {{ min_pairs }} rather than a typed number, so the
text always states the rule the code applied.
"""

from __future__ import annotations

from helpers.analysis.rules import (AGREEMENT_BOOTSTRAP_SAMPLES, BOOTSTRAP_SAMPLES, BROKERAGE_PERMUTATIONS,
                                    CMOC_CONFIRM_SHARE, CMOC_MIN_PEOPLE, CMOC_MIN_SITES, CMOC_REFINE_MIN_SEGMENTS,
                                    CMOC_REFINE_SHARE, COMMUNITY_RUNS, COMMUNITY_SEED, EMBEDDEDNESS_SPLIT_POLARISATION,
                                    EMBEDDEDNESS_THRESHOLDS, EVIDENCE_WEIGHTS, GP_ANTICIPATION_MONTHS,
                                    GP_BASELINE_MONTHS, GP_MODEL_MONTHS, GP_WINDOW_MONTHS, GSE_MIN_ANSWERED,
                                    MIN_PAIRS, MISSING_DELTAS, MISSING_IMPUTATIONS, PRIMARY_OUTCOMES)


def substitutions() -> dict:
    """Each rule's value as the prose shows it."""
    return {
        "min_pairs": str(MIN_PAIRS),
        "imputations": str(MISSING_IMPUTATIONS),
        "missing_deltas": ", ".join(f"{d:g}" for d in MISSING_DELTAS),
        "primary_outcomes": " and ".join(name.replace("ons_", "").replace("_", " ").replace("gse total",
                                         "general self-efficacy (GSE total)") for name in PRIMARY_OUTCOMES),
        "gse_min_answered": str(GSE_MIN_ANSWERED),
        "gp_window_months": str(GP_WINDOW_MONTHS),
        "gp_baseline_first": str(GP_BASELINE_MONTHS[0]),
        "gp_baseline_last": str(GP_BASELINE_MONTHS[1]),
        "gp_anticipation_months": str(GP_ANTICIPATION_MONTHS),
        "gp_model_months": str(GP_MODEL_MONTHS),
        "embeddedness_low": f"{EMBEDDEDNESS_THRESHOLDS[0]:.2f}",
        "embeddedness_high": f"{EMBEDDEDNESS_THRESHOLDS[1]:.2f}",
        "bootstrap_samples": f"{BOOTSTRAP_SAMPLES:,}",
        "community_seed": str(COMMUNITY_SEED),
        "community_runs": str(COMMUNITY_RUNS),
        "brokerage_permutations": f"{BROKERAGE_PERMUTATIONS:,}",
        "split_polarisation": f"{EMBEDDEDNESS_SPLIT_POLARISATION:.2f}",
        "agreement_samples": f"{AGREEMENT_BOOTSTRAP_SAMPLES:,}",
        "weight_high": f"{EVIDENCE_WEIGHTS['high']:g}",
        "weight_moderate": f"{EVIDENCE_WEIGHTS['moderate']:g}",
        "weight_low": f"{EVIDENCE_WEIGHTS['low']:g}",
        "cmoc_min_people": str(CMOC_MIN_PEOPLE),
        "cmoc_min_sites": str(CMOC_MIN_SITES),
        "cmoc_confirm_share": f"{CMOC_CONFIRM_SHARE:.0%}",
        "cmoc_refute_share": f"{1 - CMOC_CONFIRM_SHARE:.0%}",
        "cmoc_refine_share": f"{CMOC_REFINE_SHARE:.0%}",
        "cmoc_refine_min": str(CMOC_REFINE_MIN_SEGMENTS),
    }
