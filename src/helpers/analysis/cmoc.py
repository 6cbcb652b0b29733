"""CMO configurations judged against their evidence: an evidence ledger and a verdict.

The ledger of a CMOC (at one site, or pooled over all sites as "ALL") counts the
cited segments by stance and the evidence base behind them: the distinct people
who speak in them (a debrief or field note is its link worker's; documents have
nobody), the distinct kinds of source (interview, observation, debrief, document)
and the sites.

Verdict rule (constants in helpers.analysis.rules, stated in the methods chapter).
Supporting and refuting evidence decide whether the configuration holds; refining
evidence says how it holds and is reported beside the verdict, never against it.

- "no evidence": no segment is cited;
- "insufficient evidence": the cited segments come from fewer than
  CMOC_MIN_PEOPLE people, or (pooled rows only) from fewer than CMOC_MIN_SITES
  sites, or none of them supports or refutes;
- otherwise, with s and r the weighted supporting and refuting evidence
  (weight = relevance weight x rigour weight, EVIDENCE_WEIGHTS; unjudged = high):
  "confirmed" when s / (s + r) >= CMOC_CONFIRM_SHARE, "refuted" when
  s / (s + r) <= 1 - CMOC_CONFIRM_SHARE, else "contested".
- `refined` is "refined" when refining weight is at least CMOC_REFINE_SHARE of
  all cited weight and at least CMOC_REFINE_MIN_SEGMENTS segments refine;
  otherwise "not refined". It is judged whatever the verdict.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.analysis.embeddedness import embeddedness
from helpers.analysis.rules import (CMOC_CONFIRM_SHARE, CMOC_MIN_PEOPLE, CMOC_MIN_SITES, CMOC_REFINE_MIN_SEGMENTS,
                                    CMOC_REFINE_SHARE, EVIDENCE_WEIGHTS)
from helpers.data.dataset import Dataset

STANCES = ("supports", "refutes", "refines")
VERDICTS = ("confirmed", "contested", "refuted", "insufficient evidence", "no evidence")
REFINED, NOT_REFINED = "refined", "not refined"
ALL_SITES = "ALL"
COLUMNS = ("cmoc_id", "site_id", "n_supports", "n_refutes", "n_refines", "n_people", "n_sources", "n_sites",
           "support_share", "verdict", "refined")
PARTS = ("context", "mechanism", "outcome")
CONTRASTS = {"employer": "employer", "imd_quintile": "deprivation (IMD quintile)", "rurality": "rurality",
             "position": "embeddedness position"}


def verdict(supports: float, refutes: float, n_people: int, n_sites: int, n_cited: int,
            pooled: bool = False) -> str:
    """The verdict for one ledger row: weighted supporting and refuting evidence and the evidence base."""
    if n_cited == 0:
        return "no evidence"
    if n_people < CMOC_MIN_PEOPLE or (pooled and n_sites < CMOC_MIN_SITES) or supports + refutes == 0:
        return "insufficient evidence"
    share = supports / (supports + refutes)
    if share >= CMOC_CONFIRM_SHARE:
        return "confirmed"
    if share <= 1 - CMOC_CONFIRM_SHARE:
        return "refuted"
    return "contested"


def refinement(refines: float, total: float, n_refines: int) -> str:
    """"refined" or "not refined" from the refining weight, all cited weight and refining segments."""
    if n_refines >= CMOC_REFINE_MIN_SEGMENTS and total > 0 and refines / total >= CMOC_REFINE_SHARE:
        return REFINED
    return NOT_REFINED


def evidence_weight(relevance: pd.Series, rigour: pd.Series) -> pd.Series:
    """Weight of each cited segment: relevance weight x rigour weight (blank counts as high)."""
    def weight(judgement: pd.Series) -> pd.Series:
        return judgement.map(EVIDENCE_WEIGHTS).astype("float64").fillna(EVIDENCE_WEIGHTS["high"])
    return weight(relevance) * weight(rigour)


def cmoc_evidence(dataset: Dataset) -> pd.DataFrame:
    """cmoc_evidence rows joined to their segments (site_id, source, participant_id, text), with `weight`."""
    segments = dataset.segments[["segment_id", "site_id", "source", "participant_id", "text"]]
    cited = dataset.cmoc_evidence.merge(segments, on="segment_id", how="inner")
    return cited.assign(weight=evidence_weight(cited["relevance"], cited["rigour"]).to_numpy())


def _ledger(group: pd.DataFrame) -> dict:
    n = {s: int((group["stance"] == s).sum()) for s in STANCES}
    w = {s: float(group.loc[group["stance"] == s, "weight"].sum()) for s in STANCES}
    return {**{f"n_{s}": n[s] for s in STANCES},
            "n_people": int(group["participant_id"].dropna().nunique()),
            "n_sources": int(group["source"].nunique()), "n_sites": int(group["site_id"].nunique()),
            "w": w, "n_cited": len(group)}


def verdicts(dataset: Dataset, overall: bool = False) -> pd.DataFrame:
    """cmoc_verdicts.csv rows: every CMOC x every site of the dataset, or x "ALL" when `overall`.

    Rows follow cmocs.csv order (then site order); CMOCs without evidence get
    zero counts and "no evidence". support_share is the weighted share of
    support among supporting and refuting evidence (NaN when there is neither).
    """
    cited = cmoc_evidence(dataset)
    sites = [ALL_SITES] if overall else dataset.site_ids
    groups = {key: g for key, g in cited.groupby(["cmoc_id"] if overall else ["cmoc_id", "site_id"])}
    rows = []
    for cmoc_id in dataset.cmocs["cmoc_id"]:
        for site_id in sites:
            group = groups.get((cmoc_id,) if overall else (cmoc_id, site_id), cited.iloc[:0])
            led = _ledger(group)
            w = led.pop("w")
            n_cited = led.pop("n_cited")
            decided = w["supports"] + w["refutes"]
            rows.append({"cmoc_id": cmoc_id, "site_id": site_id, **led,
                         "support_share": w["supports"] / decided if decided else np.nan,
                         "verdict": verdict(w["supports"], w["refutes"], led["n_people"], led["n_sites"],
                                            n_cited, pooled=overall),
                         "refined": refinement(w["refines"], sum(w.values()), led["n_refines"])})
    return pd.DataFrame(rows, columns=list(COLUMNS))


def refined_statements(cmocs: pd.DataFrame) -> pd.DataFrame:
    """Per CMOC (index cmoc_id): each part as initially stated and as refined (unchanged where blank)."""
    table = cmocs.set_index("cmoc_id")
    out = {}
    for part in PARTS:
        refined = table[f"refined_{part}"]
        out[f"initial_{part}"] = table[part]
        out[f"refined_{part}"] = refined.where(refined.notna() & (refined.astype("string").str.strip() != ""),
                                               table[part])
    frame = pd.DataFrame(out)
    frame["has_refinement"] = [any(pd.notna(v) and str(v).strip() for v in row)
                               for row in table[[f"refined_{p}" for p in PARTS]].itertuples(index=False)]
    return frame


def site_context(dataset: Dataset) -> pd.DataFrame:
    """Per site (index site_id): the contexts evidence is contrasted by, as text."""
    sites = dataset.sites.set_index("site_id")[["employer", "imd_quintile", "rurality"]].astype("string")
    position = embeddedness(dataset).set_index("site_id")["position"]
    return sites.assign(position=position.reindex(sites.index).astype("string"))


def contrast(dataset: Dataset) -> pd.DataFrame:
    """Stance by context for every CMOC: cmoc_id, context, value, n_supports, n_refutes, n_refines, n_sites.

    `context` is each of CONTRASTS (a site characteristic or the site's
    embeddedness position); every value seen among the dataset's sites is
    listed, with zero counts where no evidence was cited there.
    """
    cited = cmoc_evidence(dataset)
    context = site_context(dataset)
    cited = cited.join(context, on="site_id")
    rows = []
    for cmoc_id in dataset.cmocs["cmoc_id"]:
        mine = cited[cited["cmoc_id"] == cmoc_id]
        for column in CONTRASTS:
            for value in sorted(context[column].dropna().unique()):
                here = mine[mine[column] == value]
                rows.append({"cmoc_id": cmoc_id, "context": column, "value": value,
                             **{f"n_{s}": int((here["stance"] == s).sum()) for s in STANCES},
                             "n_sites": int((context[column] == value).sum())})
    return pd.DataFrame(rows)
