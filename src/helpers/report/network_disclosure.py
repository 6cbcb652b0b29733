"""Stakeholder networks as published: no participant id, no role group the policy would suppress.

A role is drawn person by person only where the site's participants table publishes its count
exactly (`policy.count(n) == n` and the cell is not withheld by `withheld_roles`); then its
people are labelled by the role and numbered 1, 2, ... in an order unrelated to their
identifiers (a hash of the id), so that the numbers cannot be matched to excerpt labels. The
people of every other role are merged, side by side, into one node per side ("Practice-side
staff, merged"): ties to merged people become ties of the group, at the strongest of
their weights, and count as one tie of the published map, so that neither the drawing nor a
table counts the people inside. A side's group must hold at least `policy.threshold` people
of at least two roles, otherwise both sides merge into one group; a group that still falls
short is not published at all (`graph.graph["left_out"]`). The link worker is drawn on its own:
each site's link workers are the subject of the evaluation and their number is a design fact
(the sites table's team model), so their cell is left out of the complementary suppression.

Every measure of a published page is computed on this graph, so a merged group counts as one
actor, as the patients do.
"""

from __future__ import annotations

import hashlib

import networkx as nx
import pandas as pd

from helpers.analysis.network import GROUP_TYPES, NODE_TYPES, ROLE_LABELS, group_node
from helpers.report.disclosure import DRAWN_ALONE, Policy, withheld_roles

SIDE_OF_GROUP = {"health_professional": "practice", "voluntary_sector": "voluntary"}


def merged_roles(participants: pd.DataFrame, policy: Policy) -> dict[str, str]:
    """participant_id -> the group node key (`practice`, `voluntary` or `professionals`) of every person
    merged into a group, or `None` for a group that is left out."""
    staff = participants[participants["group"].isin(list(SIDE_OF_GROUP))]
    counts = participants[participants["group"] != "patient"]["role"].value_counts().to_dict()
    merged = withheld_roles(counts, policy) | {r for r, n in counts.items() if policy.count(n) != n}
    people = staff[staff["role"].isin(merged)]
    side = people["group"].map(SIDE_OF_GROUP)

    def enough(rows) -> bool:
        return len(rows) >= policy.threshold and rows["role"].nunique() >= 2
    if all(enough(people[side == s]) for s in set(side)):
        return dict(zip(people["participant_id"], side))
    return dict.fromkeys(people["participant_id"], "professionals" if enough(people) else None)


def published_network(graph: nx.Graph, participants: pd.DataFrame, policy: Policy) -> nx.Graph:
    """A site graph (`site_graph`, or `directed_graph`) as the book may show it (see the module docstring)."""
    site_id = graph.graph["site_id"]
    into = {node: key for node, key in merged_roles(participants, policy).items() if node in graph}
    alias = {node: group_node(site_id, key) for node, key in into.items() if key is not None}
    out = graph.__class__(**graph.graph)
    out.graph["left_out"] = any(key is None for key in into.values())
    for node, data in graph.nodes(data=True):
        if node in into:
            continue
        out.add_node(node, **data)
    for key in sorted(set(into.values()) - {None}):
        node = group_node(site_id, key)
        if node in graph:
            raise ValueError(f"{node} is already an id at site {site_id}; it is reserved for a merged group")
        node_type = GROUP_TYPES[key]
        out.add_node(node, node_type=node_type, side=NODE_TYPES[node_type][1], label=NODE_TYPES[node_type][0])
    for a, b, tie in graph.edges(data=True):
        if into.get(a, "") is None or into.get(b, "") is None:
            continue
        ends = alias.get(a, a), alias.get(b, b)
        if ends[0] == ends[1]:
            continue
        if a not in alias and b not in alias:
            out.add_edge(*ends, **tie)
        elif "weight" not in tie:  # directed graphs carry no weights
            out.add_edge(*ends)
        else:
            weight = max(tie["weight"], out.edges[ends]["weight"]) if out.has_edge(*ends) else tie["weight"]
            out.add_edge(*ends, weight=weight, distance=1.0 / weight, n_ties=1)
    _label_people(out, participants)
    return out


def _label_people(graph: nx.Graph, participants: pd.DataFrame) -> None:
    """Role labels, numbered within each label in hash order, for the people drawn one by one."""
    role_of = participants.set_index("participant_id")["role"]
    named = {node: ("Link worker" if data["node_type"] == "link_worker" else
                    ROLE_LABELS.get(role_of[node], str(role_of[node]).replace("_", " ").capitalize()))
             for node, data in graph.nodes(data=True) if node in role_of.index}
    for label in sorted(set(named.values())):
        nodes = sorted((n for n, given in named.items() if given == label),
                       key=lambda n: hashlib.sha256(str(n).encode()).hexdigest())
        for number, node in enumerate(nodes, start=1):
            graph.nodes[node]["label"] = f"{label} {number}" if len(nodes) > 1 else label
