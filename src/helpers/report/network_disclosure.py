"""Stakeholder networks as published: no participant id beside a role, no small role singled out.

A person node is labelled by its role only where at least `policy.threshold` people of the
site share that role; otherwise by the reader's label of its node type (for example "Other
practice staff"), the same merged group the participants table would have to suppress.
People sharing a label are numbered 1, 2, ... in an order unrelated to their identifiers
(a hash of the id), so that the numbers cannot be matched to excerpt labels, which number
people by their ids. The link worker is "Link worker": each site has one by design.
"""

from __future__ import annotations

import hashlib

import networkx as nx
import pandas as pd

from helpers.analysis.network import NODE_TYPES, ROLE_LABELS
from helpers.report.disclosure import Policy


def published_network(graph: nx.Graph, participants: pd.DataFrame, policy: Policy) -> nx.Graph:
    """A copy of a site graph with the person labels described in the module docstring."""
    people = participants.set_index("participant_id")
    role_sizes = participants["role"].value_counts()
    named = {}
    for node, data in graph.nodes(data=True):
        if node not in people.index or data["node_type"] == "patients":
            continue
        role = people.at[node, "role"]
        named[node] = (ROLE_LABELS.get(role, str(role).replace("_", " ").capitalize())
                       if role_sizes.get(role, 0) >= policy.threshold and data["node_type"] != "link_worker"
                       else NODE_TYPES[data["node_type"]][0])
    out = graph.copy()
    for label in sorted(set(named.values())):
        nodes = sorted((n for n, given in named.items() if given == label),
                       key=lambda n: hashlib.sha256(str(n).encode()).hexdigest())
        for number, node in enumerate(nodes, start=1):
            out.nodes[node]["label"] = f"{label} {number}" if len(nodes) > 1 else label
    return out
