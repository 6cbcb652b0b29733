"""CMO configurations tested against their evidence: counts by stance and a verdict.

Verdict rule (stated in the book), applied per CMOC at each site and over all
sites, to the number of cited segments that support, refute and refine it:

- "no evidence": no segment is cited;
- "confirmed": supporting segments outnumber refuting and refining ones together;
- "refuted": refuting segments outnumber supporting and refining ones together;
- "refined": refining segments outnumber supporting and refuting ones together;
- "mixed": otherwise, i.e. no stance holds a strict majority (this covers
  every tie, e.g. 2 supporting and 2 refuting segments, or 1 of each stance).

A verdict therefore needs more than half of the cited evidence to point one
way. The counts are always reported beside the verdict, so a verdict resting
on one or two segments is visible as such.
"""

from __future__ import annotations

import pandas as pd

from helpers.data.dataset import Dataset

STANCES = ("supports", "refutes", "refines")
VERDICTS = ("confirmed", "refined", "refuted", "mixed", "no evidence")
ALL_SITES = "ALL"
COLUMNS = ("cmoc_id", "site_id", "n_supports", "n_refutes", "n_refines", "verdict")


def verdict(n_supports: int, n_refutes: int, n_refines: int) -> str:
    """The verdict for one set of stance counts (see the module docstring)."""
    counts = {"confirmed": n_supports, "refuted": n_refutes, "refined": n_refines}
    total = sum(counts.values())
    if total == 0:
        return "no evidence"
    for name, count in counts.items():
        if count > total - count:
            return name
    return "mixed"


def cmoc_evidence(dataset: Dataset) -> pd.DataFrame:
    """cmoc_evidence rows joined to their segments (site_id, source, participant_id, text)."""
    segments = dataset.segments[["segment_id", "site_id", "source", "participant_id", "text"]]
    return dataset.cmoc_evidence.merge(segments, on="segment_id", how="inner")


def verdicts(dataset: Dataset, overall: bool = False) -> pd.DataFrame:
    """cmoc_verdicts.csv rows: every CMOC x every site of the dataset, or x "ALL" when `overall`.

    Rows follow cmocs.csv order (then site order); CMOCs without evidence get
    zero counts and "no evidence".
    """
    cited = cmoc_evidence(dataset)
    if overall:
        cited = cited.assign(site_id=ALL_SITES)
    sites = [ALL_SITES] if overall else dataset.site_ids
    counts = pd.crosstab([cited["cmoc_id"], cited["site_id"]], cited["stance"])
    index = pd.MultiIndex.from_product([list(dataset.cmocs["cmoc_id"]), sites], names=["cmoc_id", "site_id"])
    counts = counts.reindex(index=index, columns=list(STANCES), fill_value=0).astype("int64")
    table = counts.rename(columns={s: f"n_{s}" for s in STANCES}).rename_axis(columns=None).reset_index()
    table["verdict"] = [verdict(*row) for row in table[["n_supports", "n_refutes", "n_refines"]].to_numpy()]
    return table[list(COLUMNS)]
