"""The realist synthesis in sentences for the executive summary: what the evidence of this build
shows about each of the four concepts, the CMOC verdicts and the programme theory. Each phrase
takes the table the synthesis chapter computes, so the Summary and the chapter agree."""

from __future__ import annotations

import networkx as nx
import pandas as pd

from helpers.analysis.embeddedness import LEVEL_NAMES, LEVELS


def _listed(items: list[str]) -> str:
    if not items:
        return "none"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def concept_range_phrase(shares: pd.DataFrame, concept: str) -> str:
    """E.g. 'from 20% of a site's segments (S5) to 37% (S6), across 7 sites' for the row '<concept> (any)'."""
    row = shares.loc[f"{concept} (any)"].dropna()
    if row.empty:
        return "in no site's segments"
    return (f"from {row.min():.0%} of a site's segments ({row.idxmin()}) to {row.max():.0%} ({row.idxmax()}), "
            f"across {len(row)} sites")


def _short_label(label: str, prefix: str) -> str:
    text = label.strip()
    return text[len(prefix):].strip() if text.lower().startswith(prefix.lower()) else text[0].lower() + text[1:]


def discretion_summary_phrase(table: pd.DataFrame) -> str:
    """`table`: qualitative.co_coded of the discretion domains against the limit and strain codes."""
    ranked = table.sort_values("segments", ascending=False, kind="stable")
    parts = [f"{_short_label(label, 'Discretion over')} ({n})" for label, n in ranked["segments"].items()]
    limit, strain = (int(table[c].sum()) for c in table.columns[1:3])
    return (f"segments mention discretion over {_listed(parts)}; {limit} of these mentions are also coded with a "
            f"limit placed on that discretion and {strain} with the strain of a remit left too open")


def anchor_summary_phrase(voices: pd.DataFrame, hope: pd.DataFrame) -> str:
    """`voices`: qualitative.by_who of the anchor-point parts; `hope`: co_coded with the hope outcome."""
    parts = [f"{label[0].lower() + label[1:]} in {int(r['all'])} segments ({int(r['patients'])} from patients)"
             for label, r in voices.iterrows()]
    also = int(hope.iloc[:, 1].sum())
    return f"{_listed(parts)}; {also} of these segments are also coded with patients' self-confidence and hope"


def embeddedness_summary_phrase(rows: pd.DataFrame) -> str:
    """E.g. '3 sites read as belonging, 2 as fitting in and 2 as bolted on; S4 is split'."""
    counts = rows["position"].value_counts()
    parts = [f"{counts[level]} {'site reads' if counts[level] == 1 and not i else 'sites read' if not i else ''}"
             .rstrip() + f" as {LEVEL_NAMES[level]}" for i, level in enumerate(l for l in LEVELS if l in counts)]
    text = _listed(parts) if parts else "no site can be placed"
    unplaced = int(len(rows) - counts.reindex(list(LEVELS)).fillna(0).sum())
    if unplaced:
        text += f"; {unplaced} cannot be placed (no segment coded with a level)"
    split = rows.loc[rows["split"].astype(bool), "site_id"].tolist()
    if split:
        text += f"; {_listed(split)} {'is' if len(split) == 1 else 'are'} split between the two ends"
    return text


def theory_summary_phrase(graph: nx.DiGraph) -> str:
    """E.g. '18 boxes and 25 links; the evaluation added 7 of the boxes and 16 of the links'."""
    new = sum(str(a.get("category", "")).startswith("new_") for _, a in graph.nodes(data=True))
    added = sum(a.get("origin") == "evaluation" for *_, a in graph.edges(data=True))
    return (f"{graph.number_of_nodes()} boxes and {graph.number_of_edges()} links; the evaluation added {new} of "
            f"the boxes and {added} of the links to the theory of the earlier review")


def verdict_summary_table(overall: pd.DataFrame, cmocs: pd.DataFrame, policy=None) -> pd.DataFrame:
    """One row per CMOC for the Summary: its mechanism and outcome (a column each), the verdict over
    all sites, whether the evidence refines it, and the segments, people and sites it rests on."""
    statement = cmocs.set_index("cmoc_id")[["mechanism", "outcome"]]
    table = overall.set_index("cmoc_id").join(statement)
    evidence = (table["n_supports"].astype(str) + " / " + table["n_refutes"].astype(str) + " / "
                + table["n_refines"].astype(str))
    people = table["n_people"].map(policy.count) if policy is not None else table["n_people"]
    return pd.DataFrame({"mechanism": table["mechanism"], "outcome": table["outcome"], "verdict": table["verdict"],
                         "refined": table["refined"], "segments for / against / refining": evidence,
                         "people": people, "sites": table["n_sites"]}).rename_axis("CMOC")
