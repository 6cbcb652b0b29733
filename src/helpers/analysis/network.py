"""Stakeholder networks: who is tied to whom around each site's link worker.

One undirected, weighted graph per site, built from connections.csv:
- nodes are the site's participants and organisations, each with a `node_type`;
  every patient of the site is folded into one node, `<site_id>-PATIENTS`, so
  no individual patient is ever a node;
- a pair of ends listed more than once (A->B and B->A, or two relations) is one
  relationship seen twice: it becomes one tie with the strongest weight;
- ties from one actor to several patients then become one tie to the patients
  node whose weight is the sum of those ties (its `n_ties` counts them); ties
  between two patients vanish into the node.
Distances for shortest paths are 1/weight, so stronger ties are shorter.
"""

from __future__ import annotations

from itertools import combinations

import networkx as nx
import numpy as np
import pandas as pd

from helpers.data.dataset import Dataset
from helpers.analysis.embeddedness import embeddedness
from helpers.analysis.rules import COMMUNITY_SEED

SEED = COMMUNITY_SEED
METRIC_COLUMNS = ["site_id", "node_id", "node_type", "degree", "weighted_degree", "betweenness", "community"]
POOLED = "ALL"

# node_type -> (reader's label, side). Sides are the groups for brokerage.
NODE_TYPES = {
    "link_worker": ("Link worker", "link_worker"),
    "gp": ("GP", "practice"),
    "practice_staff": ("Other practice staff", "practice"),
    "practice_organisation": ("Practice or primary care network", "practice"),
    "vcse_worker": ("Voluntary-sector worker", "voluntary"),
    "vcse_organisation": ("Voluntary-sector organisation", "voluntary"),
    "council_service": ("Council service", "council"),
    "patients": ("All patients, as one node", "patients"),
}
ORG_TYPES = {"general_practice": "practice_organisation", "primary_care_network": "practice_organisation",
             "vcse": "vcse_organisation", "council_service": "council_service"}
ROLE_LABELS = {"gp": "GP", "vcse_manager": "VCSE manager", "vcse_worker": "VCSE worker",
               "health_wellbeing_coach": "Health & well-being coach"}
BROKERAGE_ROLES = ["coordinator", "itinerant", "gatekeeper_representative", "liaison"]


def patients_node(site_id: str) -> str:
    return f"{site_id}-PATIENTS"


def _participant_type(group: str, role: str) -> str:
    if group == "health_professional":
        return "gp" if role == "gp" else "practice_staff"
    return {"link_worker": "link_worker", "voluntary_sector": "vcse_worker", "patient": "patients"}[group]


def short_id(node_id: str, site_id: str) -> str:
    return node_id.removeprefix(f"{site_id}-")


def site_graph(site: Dataset) -> nx.Graph:
    """The stakeholder graph of a one-site dataset (`dataset.for_site(site_id)`).

    Every participant and organisation of the site is a node, tied or not.
    Node attributes: node_type, side, label; edge attributes: weight,
    distance (1/weight), n_ties.
    """
    (site_id,) = site.sites["site_id"]
    graph = nx.Graph(site_id=site_id)
    people = site.participants.sort_values("participant_id")
    alias = {}
    for person in people.itertuples():
        node_type = _participant_type(person.group, person.role)
        if node_type == "patients":
            alias[person.participant_id] = patients_node(site_id)
            continue
        role = ROLE_LABELS.get(person.role, person.role.replace("_", " ").capitalize())
        label = f"{role} ({short_id(person.participant_id, site_id)})"
        graph.add_node(person.participant_id, node_type=node_type, side=NODE_TYPES[node_type][1], label=label)
    for org in site.organisations.sort_values("org_id").itertuples():
        node_type = ORG_TYPES[org.org_type]
        graph.add_node(org.org_id, node_type=node_type, side=NODE_TYPES[node_type][1], label=org.label)
    if alias:  # labelled without a count, so that the drawing publishes no number of patients
        node = patients_node(site_id)
        if node in graph:
            raise ValueError(f"{node} is already an id at site {site_id}; it is reserved for the patients node")
        graph.add_node(node, node_type="patients", side="patients", label="All patients")

    ties = site.connections
    pairs = pd.DataFrame({"a": ties[["source_id", "target_id"]].min(axis=1),
                          "b": ties[["source_id", "target_id"]].max(axis=1), "weight": ties["weight"]})
    pairs = pairs.groupby(["a", "b"], as_index=False)["weight"].max()
    pairs["a"], pairs["b"] = (pairs[end].map(lambda n: alias.get(n, n)) for end in ("a", "b"))
    pairs = pairs[pairs["a"] != pairs["b"]]
    swap = pairs["a"] > pairs["b"]
    pairs.loc[swap, ["a", "b"]] = pairs.loc[swap, ["b", "a"]].to_numpy()
    merged = pairs.groupby(["a", "b"], as_index=False).agg(weight=("weight", "sum"), n_ties=("weight", "size"))
    for tie in merged.itertuples():
        graph.add_edge(tie.a, tie.b, weight=float(tie.weight), distance=1.0 / tie.weight, n_ties=int(tie.n_ties))
    return graph


def communities(graph: nx.Graph, seed: int = SEED) -> dict[str, int]:
    """Louvain communities on tie weights, numbered 1.. by size, then by their smallest node id."""
    found = nx.community.louvain_communities(graph, weight="weight", seed=seed)
    ordered = sorted((sorted(group) for group in found), key=lambda group: (-len(group), group[0]))
    return {node: number for number, group in enumerate(ordered, start=1) for node in group}


def node_metrics(graph: nx.Graph, site_id: str | None = None) -> pd.DataFrame:
    """network_metrics.csv rows: one per node, in node-type order then by id.

    degree counts distinct neighbours; weighted_degree sums tie weights;
    betweenness is normalised (share of shortest paths between other pairs
    of nodes, distance 1/weight, that pass through the node).
    """
    between = nx.betweenness_centrality(graph, weight="distance", normalized=True)
    community = communities(graph)
    order = list(NODE_TYPES)
    rows = [{
        "site_id": site_id or graph.graph["site_id"], "node_id": node, "node_type": data["node_type"],
        "degree": graph.degree(node), "weighted_degree": graph.degree(node, weight="weight"),
        "betweenness": between[node], "community": community[node],
    } for node, data in sorted(graph.nodes(data=True), key=lambda nd: (order.index(nd[1]["node_type"]), nd[0]))]
    return pd.DataFrame(rows, columns=METRIC_COLUMNS)


def _role(broker: str, one: str, other: str) -> str:
    if one == other:
        return "coordinator" if broker == one else "itinerant"
    return "gatekeeper_representative" if broker in (one, other) else "liaison"


def brokerage(graph: nx.Graph, group: str = "side") -> pd.DataFrame:
    """Gould-Fernandez brokerage roles of every node, on undirected ties.

    Gould and Fernandez (1989) count open two-paths a -> b -> c (no a -> c).
    With undirected ties, node b brokers each unordered pair {a, c} of its
    neighbours that are not tied to each other, counted once. The pair is
    coordinator (a, b, c in one group), itinerant (a and c in one group, b in
    another; also called consultant), gatekeeper_representative (b shares
    its group with exactly one of them: without direction a gatekeeper cannot
    be told from a representative, so the two are counted together) or
    liaison (three groups). `practice_voluntary` counts the brokered pairs
    that join the practice side to the voluntary side, whatever b's group;
    `total` all brokered pairs.
    """
    rows = []
    for node in graph.nodes:
        counts = dict.fromkeys(BROKERAGE_ROLES + ["practice_voluntary"], 0)
        mine = graph.nodes[node][group]
        for a, c in combinations(sorted(graph[node]), 2):
            if graph.has_edge(a, c):
                continue
            ga, gc = graph.nodes[a][group], graph.nodes[c][group]
            counts[_role(mine, ga, gc)] += 1
            counts["practice_voluntary"] += {ga, gc} == {"practice", "voluntary"}
        rows.append({"node_id": node, **counts, "total": sum(counts[r] for r in BROKERAGE_ROLES)})
    return pd.DataFrame(rows).set_index("node_id")


def link_worker_summary(graph: nx.Graph, metrics: pd.DataFrame, roles: pd.DataFrame) -> pd.DataFrame:
    """One row per link worker: centrality, practice-voluntary brokerage, ties inside the practice.

    practice_ties are ties to GPs, other practice staff, practices and the
    primary care network; outside_ties all the others (voluntary sector,
    council services, the patients node, other link workers).
    practice_mean_weight is their mean strength. practice_voluntary counts
    the practice-voluntary pairs the link worker brokers, out of pv_pairs
    such pairs among its neighbours.
    """
    ranked = metrics.assign(rank=metrics["betweenness"].rank(ascending=False, method="min").astype(int))
    rows = []
    for m in ranked[ranked["node_type"] == "link_worker"].itertuples():
        sides = [graph.nodes[n]["side"] for n in graph[m.node_id]]
        weights = [graph.edges[m.node_id, n]["weight"] for n in graph[m.node_id]]
        inside = sum(side == "practice" for side in sides)
        pv_pairs = inside * sides.count("voluntary")
        brokered = int(roles.at[m.node_id, "practice_voluntary"])
        rows.append({
            "site_id": m.site_id, "node_id": m.node_id, "degree": m.degree, "weighted_degree": m.weighted_degree,
            "betweenness": m.betweenness, "betweenness_rank": m.rank, "brokerage_total": int(roles.at[m.node_id, "total"]),
            "practice_voluntary": brokered, "pv_pairs": pv_pairs,
            "practice_ties": inside, "outside_ties": len(sides) - inside,
            "practice_share": inside / len(sides) if sides else float("nan"),
            "practice_mean_weight": (sum(w for w, s in zip(weights, sides) if s == "practice") / inside
                                     if inside else float("nan")),
        })
    return pd.DataFrame(rows)


def type_graph(graphs: list[nx.Graph]) -> nx.Graph:
    """The pooled map: one node per actor type, ties summed over every site's graph.

    Ties between two actors of the same type are left out (no self-loops);
    n_ties counts the site ties behind each pooled tie.
    """
    pooled = nx.Graph(site_id=POOLED)
    present = {d["node_type"] for g in graphs for _, d in g.nodes(data=True)}
    for node_type in (t for t in NODE_TYPES if t in present):
        label, side = NODE_TYPES[node_type]
        pooled.add_node(node_type, node_type=node_type, side=side, label=label)
    for g in graphs:
        for a, b, tie in g.edges(data=True):
            ta, tb = g.nodes[a]["node_type"], g.nodes[b]["node_type"]
            if ta == tb:
                continue
            if pooled.has_edge(ta, tb):
                pooled.edges[ta, tb]["weight"] += tie["weight"]
                pooled.edges[ta, tb]["n_ties"] += tie["n_ties"]
            else:
                pooled.add_edge(ta, tb, weight=tie["weight"], n_ties=tie["n_ties"])
    for _, _, tie in pooled.edges(data=True):
        tie["distance"] = 1.0 / tie["weight"]
    return pooled


# Drawing columns by x, practice side left: organisations outside, people inside.
OUTER_COLUMNS = {-4.2: ("practice_organisation",), 4.2: ("vcse_organisation", "council_service")}
INNER_COLUMNS = {-1.6: ("gp", "practice_staff"), 1.6: ("vcse_worker",)}
# Where the pooled map (one node per actor type) puts each type.
TYPE_POSITIONS = {
    "practice_organisation": (-4.2, 0.0), "gp": (-2.2, 1.1), "practice_staff": (-2.2, -1.1),
    "link_worker": (0.0, 0.0), "patients": (0.0, -2.2),
    "vcse_worker": (2.2, 1.1), "vcse_organisation": (4.2, 0.0), "council_service": (2.2, -1.1),
}


def network_layout(graph: nx.Graph) -> dict[str, tuple[float, float]]:
    """Deterministic positions: organisations in the outer columns, people inside, link worker in the middle.

    Outer columns list their types one after the other (a gap between
    types), each by id; an inner column is ordered by the mean height of each
    node's neighbours already placed (then by id), so that ties cross little.
    Columns are centred on 0; link workers sit in the middle, patients below
    them. The pooled map uses TYPE_POSITIONS.
    """
    if graph.graph.get("site_id") == POOLED:
        return {node: TYPE_POSITIONS[graph.nodes[node]["node_type"]] for node in graph}
    by_type = {t: sorted(n for n, d in graph.nodes(data=True) if d["node_type"] == t) for t in NODE_TYPES}
    pos: dict[str, tuple[float, float]] = {}

    def stack(blocks, x):
        heights, y = [], 0.0
        for block in blocks:
            heights += [y - i for i in range(len(block))]
            y -= len(block) - 1 + 1.6
        shift = (heights[0] + heights[-1]) / 2 if heights else 0.0
        pos.update((node, (x, h - shift)) for node, h in zip((n for b in blocks for n in b), heights))

    def by_neighbours(node):
        ys = [pos[n][1] for n in graph[node] if n in pos]
        return (-float(np.mean(ys)) if ys else 0.0, node)

    for x, types in OUTER_COLUMNS.items():
        stack([by_type[t] for t in types if by_type[t]], x)
    for x, types in INNER_COLUMNS.items():
        stack([sorted((n for t in types for n in by_type[t]), key=by_neighbours)], x)
    lowest = min((y for _, y in pos.values()), default=0.0)
    for i, node in enumerate(by_type["link_worker"]):
        pos[node] = (0.0, 0.6 - 1.2 * i)
    for node in by_type["patients"]:
        pos[node] = (0.0, min(lowest, 0.6 - 1.2 * len(by_type["link_worker"])) - 0.4)
    return pos


def compare_link_workers(dataset: Dataset, graphs: list[nx.Graph]) -> pd.DataFrame:
    """Every site's link workers (link_worker_summary rows) with the site's employer and embeddedness."""
    rows = pd.concat([link_worker_summary(g, node_metrics(g), brokerage(g)) for g in graphs], ignore_index=True)
    context = dataset.sites[["site_id", "employer"]].merge(embeddedness(dataset)[["site_id", "score", "position"]])
    return rows.merge(context, on="site_id", how="left")
