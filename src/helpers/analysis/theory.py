"""The programme theory as a networkx graph and the evidence behind each of its links.

Evidence of a link: a CMOC tests one theory node (its proposition_id); the
segments cited for or against the CMOCs that test a node are the evidence of
every link that leads into that node. Links into a node that no CMOC tests
have no evidence (the drawing in `helpers.report.programme_theory` dashes them).
"""

from __future__ import annotations

import networkx as nx
import pandas as pd

from helpers.analysis.cmoc import STANCES, cmoc_evidence
from helpers.data.dataset import Dataset

CATEGORIES = ("actor", "review_concept", "review_outcome", "new_concept", "new_outcome")

def evidence_by_node(dataset: Dataset) -> pd.DataFrame:
    """Per theory node (table order): CMOCs testing it and their cited segments by stance."""
    nodes = list(dataset.programme_theory_nodes["node_id"])
    cmocs = dataset.cmocs.groupby("proposition_id")["cmoc_id"].apply(", ".join)
    cited = cmoc_evidence(dataset).merge(dataset.cmocs[["cmoc_id", "proposition_id"]], on="cmoc_id")
    counts = pd.crosstab(cited["proposition_id"], cited["stance"]).reindex(
        index=nodes, columns=list(STANCES), fill_value=0).astype("int64")
    counts.columns = [f"n_{s}" for s in STANCES]
    counts.insert(0, "cmocs", cmocs.reindex(nodes).fillna(""))
    counts["n_evidence"] = counts[[f"n_{s}" for s in STANCES]].sum(axis=1)
    return counts.rename_axis("node_id")


def build_graph(dataset: Dataset) -> nx.DiGraph:
    """A DiGraph of the theory tables; nodes carry label, category and evidence, links relation,
    origin and the evidence of their target node."""
    ev = evidence_by_node(dataset)
    graph = nx.DiGraph()
    for row in dataset.programme_theory_nodes.itertuples(index=False):
        graph.add_node(row.node_id, label=row.label, category=row.category, **ev.loc[row.node_id].to_dict())
    for row in dataset.programme_theory_edges.itertuples(index=False):
        graph.add_edge(row.source, row.target, relation=row.relation, origin=row.origin,
                       n_evidence=int(ev.loc[row.target, "n_evidence"]), cmocs=ev.loc[row.target, "cmocs"])
    return graph
