"""The planted effects, written to truth.json for tests and reviewers.

Analysis code must never read this file: it records what the generator put
in, so that tests can check the analysis finds it.
"""

from __future__ import annotations

from helpers.synth import design as D
import math



def _str_keys(mapping: dict) -> dict:
    return {str(k): v for k, v in mapping.items()}


def truth(sites, seed: int, attrition: dict, site_facts: dict, evidence: list[dict], scenario: str = "planted") -> dict:
    site_ids = [s.site_id for s in sites]
    counts = {
        "sites": len(sites),
        "link_workers": len(sites),
        "professionals": sum(p.group != "patient" for s in sites for p in s.people),
        "patients": attrition["n_patients"],
        "followed_up": attrition["n_followed_up"],
    }
    tally = {c[0]: {stance: 0 for stance in D.STANCES} for c in D.CMOCS}
    cited_at = {c[0]: [] for c in D.CMOCS}
    for row in evidence:
        tally[row["cmoc_id"]][row["stance"]] += 1
        site = row["segment_id"].split("-")[0]
        if not cited_at[row["cmoc_id"]] or cited_at[row["cmoc_id"]][-1] != site:
            cited_at[row["cmoc_id"]].append(site)
    without = {c: [s for s in site_ids if s not in cited_at[c]] for c in cited_at}
    null = scenario == "null"
    site_level = {s: f["gp_level_rate_ratio"] for s, f in site_facts.items()}
    level = math.exp(sum(math.log(v) for v in site_level.values()) / len(site_level)) if site_level else 1.0
    return {
        "seed": seed,
        "scenario": scenario,
        "n_sites": len(sites),
        "counts": counts,
        "sites": site_facts,
        "embeddedness": {
            "note": "planted per site, never a column; read it from coded segments",
            "by_site": {s.site_id: s.level for s in sites},
            "score": D.LEVEL_SCORE,
            "classification_thresholds": [-1 / 3, 1 / 3],
            "planted_share": D.EMBEDDEDNESS_PLANTED_SHARE,
            "rest_split": D.EMBEDDEDNESS_REST,
            "segments_per_site": list(D.EMBEDDEDNESS_SEGMENTS),
            "split_sites": [s for s, f in site_facts.items() if f["embeddedness_split"]],
            "split_levels": D.SPLIT_LEVELS,
        },
        "wellbeing": {
            "model": "item = baseline_mean + imd shift + loading * latent + normal noise, rounded and clipped to 0-10;"
                     " latent ~ N(0, 1) per patient, plus N(0, latent_change_sd) at wave 2; rounding and"
                     " clipping shrink the realised changes a little (most where the planted change is largest)",
            "uk_means": D.UK_MEANS,
            **D.ONS,
            **({"change_by_level": {lv: {i: 0.0 for i in c} for lv, c in D.ONS["change_by_level"].items()}}
               if null else {}),
        },
        "gse": {
            "model": "item = item_baseline_mean + loading * g + noise, rounded and clipped to 1-4; "
                     "g correlates with the well-being latent",
            **D.GSE,
            **({"item_change_by_level": {lv: 0.0 for lv in D.GSE["item_change_by_level"]}} if null else {}),
            "total_change_by_level": {k: 0.0 if null else round(10 * v, 4)
                                      for k, v in D.GSE["item_change_by_level"].items()},
        },
        "missing_answers": D.MISSING,
        "attrition": attrition,
        "gp": {
            "level_rate_ratio": round(level, 6),
            "level_rate_ratio_note": "geometric mean over this dataset's sites of each site's planted ratio of the "
                                     "after-referral rate to the rate projected without referral (the target of "
                                     "the pooled random-effects level change)",
            "site_level_rate_ratio": site_level,
            "anticipation_rate_ratio": D.GP["anticipation_rate_ratio"],
            "anticipation_months": D.GP["anticipation_months"],
            "calendar_rate_ratio_per_year": round(math.exp(D.GP["calendar_log_trend_per_year"]), 6),
            "slope_rate_ratio": D.GP["slope_rate_ratio"],
            "slope_rate_ratio_note": "ratio of the rate per month after referral (months 1, 2, ...: level, "
                                     "level * r, level * r^2, ...), every site; 1 = no slope change",
            "trend_since_referral": 0.0,
        },
        "gp_contacts": {
            **{k: (_str_keys(v) if isinstance(v, dict) else v) for k, v in D.GP.items()},
            "scenario": scenario,
            "rising_sites": [] if null else [s.site_id for s in sites if s.rising_gp],
            "site_baseline_multiplier": {s: f["gp_baseline_multiplier"] for s, f in site_facts.items()},
            "regression_to_the_mean": "contacts run at anticipation_rate_ratio times the stable rate in the "
                                      "anticipation_months before referral, so a naive before/after comparison "
                                      "overstates the fall; the level change at referral is gp.level_rate_ratio",
            "extract": [D.GP_EXTRACT_START.isoformat(), D.GP_EXTRACT_END.isoformat()],
        },
        "coder_agreement": {
            "coders": list(D.CODERS),
            "double_coded_share": D.DOUBLE_CODED_SHARE,
            "second_coder_keep": D.SECOND_CODER_KEEP,
            "rule": "the second coder codes a share of each site's segments and applies each of the lead coder's "
                    "codes with probability second_coder_keep (at least one per segment) and no other code",
            "by_site": {s: f["double_coding"] for s, f in site_facts.items()},
        },
        "evidence_judgements": {"levels": list(D.JUDGEMENT_LEVELS),
                                "relevance_probabilities": list(D.RELEVANCE_PROBABILITIES),
                                "rigour_probabilities_by_source": {k: list(v) for k, v in
                                                                   D.RIGOUR_PROBABILITIES.items()}},
        "extra_code_rates_by_speaker": D.EXTRA_CODE_RATES,
        "holding": {"rate_by_imd_quintile": _str_keys(D.HOLDING_RATE_BY_IMD),
                    "function_shares": D.HOLDING_FUNCTIONS,
                    "note": "probability that a segment carries a holding code"},
        "anchor_point": {"rate_by_speaker": D.ANCHOR_RATE, "part_shares": D.ANCHOR_PARTS},
        "job_satisfaction": {"rate_in_link_worker_segments_by_level": D.JOB_SATISFACTION_RATE_BY_LEVEL},
        "observations": D.OBSERVATION,
        "network": {
            "bridge": "the link worker is the only regular path between the practice side and the voluntary side",
            "practice_side": "health professionals, general_practice and primary_care_network organisations",
            "voluntary_side": "voluntary-sector participants and vcse organisations",
            **D.NETWORK,
        },
        "cmocs": {
            "designed_pattern": {c[0]: c[-1] for c in D.CMOCS},
            "refined_wording": {c: list(v) for c, v in D.REFINED_CMOCS.items()},
            "stance_probabilities": D.STANCE_PROBABILITIES,
            "relevant_codes": {c[0]: list(c[6]) for c in D.CMOCS},
            "evidence_per_site": list(D.EVIDENCE_PER_SITE),
            "sparse_cmoc": D.SPARSE_CMOC,
            "sparse_rule": "evidence only at sites whose GP contacts rise or whose number is a multiple of 3",
            "stance_counts": tally,
            "without_evidence_at": {c: s for c, s in without.items() if s},
        },
    }
