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
from helpers.analysis.embeddedness import embeddedness, position_draws, position_probabilities
from helpers.analysis.rules import BROKERAGE_PERMUTATIONS, BROKERAGE_SEED, COMMUNITY_RUNS, COMMUNITY_SEED

SEED = COMMUNITY_SEED
METRIC_COLUMNS = ["site_id", "node_id", "node_type", "degree", "weighted_degree", "betweenness", "constraint",
                  "effective_size", "community", "community_stability"]
DIRECTED_RELATIONS = ("refers_to",)  # a tie of this relation runs from source to target only
DIRECTED_ROLES = ["coordinator", "itinerant", "gatekeeper", "representative", "liaison"]
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
    "practice_group": ("Practice-side staff, merged", "practice"),  # GPs among them where merged
    "voluntary_group": ("VCSE staff, merged", "voluntary"),
    "professional_group": ("Staff of both sides, merged", "professionals"),
}
# Published maps merge the people of small role groups into one node per side (report.network_disclosure).
GROUP_TYPES = {"practice": "practice_group", "voluntary": "voluntary_group", "professionals": "professional_group"}
ORG_TYPES = {"general_practice": "practice_organisation", "primary_care_network": "practice_organisation",
             "vcse": "vcse_organisation", "council_service": "council_service"}
ROLE_LABELS = {"gp": "GP", "vcse_manager": "VCSE manager", "vcse_worker": "VCSE worker",
               "health_wellbeing_coach": "Health & well-being coach"}
BROKERAGE_ROLES = ["coordinator", "itinerant", "gatekeeper_representative", "liaison"]


def patients_node(site_id: str) -> str:
    return f"{site_id}-PATIENTS"


def group_node(site_id: str, key: str) -> str:
    """The id of a merged group of people (`GROUP_TYPES` key) in a published map."""
    return f"{site_id}-GROUP-{key.upper()}"


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


def _numbered(groups) -> dict[str, int]:
    """Groups numbered 1.. by size, then by their smallest node id."""
    ordered = sorted((sorted(group) for group in groups), key=lambda group: (-len(group), group[0]))
    return {node: number for number, group in enumerate(ordered, start=1) for node in group}


def consensus_communities(graph: nx.Graph, runs: int = COMMUNITY_RUNS, seed: int = SEED) -> dict:
    """Louvain run with seeds seed .. seed + runs - 1, summarised (Lancichinetti and Fortunato's consensus).

    Returns a dict: `community` (node -> consensus community, numbered as in
    `communities`), `stability` (node -> mean over runs of the Jaccard overlap
    of the node's community in the run with its consensus community),
    `coassignment` (DataFrame: share of runs putting two nodes together),
    `frequency` (share of runs whose partition is the consensus partition),
    `n_partitions` (distinct partitions seen) and `runs`. The consensus groups
    are the connected components of node pairs put together in more than half
    of the runs.
    """
    nodes = sorted(graph.nodes)
    index = {n: i for i, n in enumerate(nodes)}
    together = np.zeros((len(nodes), len(nodes)))
    partitions = []
    for run in range(runs):
        groups = nx.community.louvain_communities(graph, weight="weight", seed=seed + run)
        labels = _numbered(groups)
        partitions.append(labels)
        member = np.array([labels[n] for n in nodes])
        together += member[:, None] == member[None, :]
    together /= runs
    strong = nx.Graph()
    strong.add_nodes_from(nodes)
    strong.add_edges_from((nodes[i], nodes[j]) for i, j in zip(*np.nonzero(np.triu(together > 0.5, k=1))))
    community = _numbered(nx.connected_components(strong))
    consensus = {frozenset(n for n in nodes if community[n] == c) for c in set(community.values())}
    seen = [frozenset(frozenset(n for n in nodes if p[n] == c) for c in set(p.values())) for p in partitions]
    groups_of = {n: next(g for g in consensus if n in g) for n in nodes}
    stability = {}
    for n in nodes:
        overlaps = []
        for p in partitions:
            mine = {m for m in nodes if p[m] == p[n]}
            overlaps.append(len(mine & groups_of[n]) / len(mine | groups_of[n]))
        stability[n] = float(np.mean(overlaps))
    return {"community": community, "stability": stability,
            "coassignment": pd.DataFrame(together, index=nodes, columns=nodes),
            "frequency": float(np.mean([partition == frozenset(consensus) for partition in seen])),
            "n_partitions": len(set(seen)), "runs": runs}


def node_metrics(graph: nx.Graph, site_id: str | None = None, consensus: dict | None = None) -> pd.DataFrame:
    """network_metrics.csv rows: one per node, in node-type order then by id.

    degree counts distinct neighbours; weighted_degree sums tie weights;
    betweenness is normalised (share of shortest paths between other pairs
    of nodes, distance 1/weight, that pass through the node); constraint and
    effective_size are Burt's, on tie weights (NaN for a node without ties);
    community and community_stability come from `consensus_communities`
    (computed here unless given).
    """
    between = nx.betweenness_centrality(graph, weight="distance", normalized=True)
    consensus = consensus or consensus_communities(graph)
    constraint = nx.constraint(graph, weight="weight")
    effective = nx.effective_size(graph, weight="weight")
    order = list(NODE_TYPES)
    rows = [{
        "site_id": site_id or graph.graph["site_id"], "node_id": node, "node_type": data["node_type"],
        "degree": graph.degree(node), "weighted_degree": graph.degree(node, weight="weight"),
        "betweenness": between[node], "constraint": constraint[node], "effective_size": effective[node],
        "community": consensus["community"][node], "community_stability": consensus["stability"][node],
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


def _open_pairs(graph: nx.Graph) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """For each node b, the index arrays (a, c) of the unordered pairs of its neighbours with no tie."""
    nodes = list(graph.nodes)
    index = {n: i for i, n in enumerate(nodes)}
    pairs = {}
    for b in nodes:
        found = [(index[a], index[c]) for a, c in combinations(sorted(graph[b]), 2) if not graph.has_edge(a, c)]
        pairs[b] = (np.array([p[0] for p in found], dtype=int), np.array([p[1] for p in found], dtype=int))
    return pairs


def _role_counts(pairs, labels: np.ndarray, nodes: list[str], chunk: int = 100) -> np.ndarray:
    """Brokered pairs per labelling, node (`nodes` order) and role (BROKERAGE_ROLES), for the integer
    labels of each row of `labels` (labellings x nodes): an array labellings x nodes x roles. Labellings
    are counted `chunk` at a time, so memory stays within chunk x open pairs."""
    labels = np.atleast_2d(labels)
    owner = np.concatenate([np.full(pairs[b][0].size, i) for i, b in enumerate(nodes)] or [np.zeros(0, int)])
    a = np.concatenate([pairs[b][0] for b in nodes] or [np.zeros(0, int)]).astype(int)
    c = np.concatenate([pairs[b][1] for b in nodes] or [np.zeros(0, int)]).astype(int)
    onehot = np.zeros((owner.size, len(nodes)))
    onehot[np.arange(owner.size), owner] = 1.0
    out = np.zeros((len(labels), len(nodes), len(BROKERAGE_ROLES)))
    for first in range(0, len(labels), chunk):
        rows = labels[first:first + chunk]
        la, lc, lb = rows[:, a], rows[:, c], rows[:, owner]
        same = la == lc
        roles = (same & (la == lb), same & (la != lb), ~same & ((la == lb) | (lc == lb)), ~same & (la != lb) & (lc != lb))
        for j, role in enumerate(roles):
            out[first:first + chunk, :, j] = role @ onehot
    return out


def brokerage_null(graph: nx.Graph, group: str = "side", permutations: int = BROKERAGE_PERMUTATIONS,
                   seed: int = BROKERAGE_SEED) -> pd.DataFrame:
    """Brokerage against a label-permutation null (after Gould and Fernandez 1989).

    The group labels are shuffled over the nodes (group sizes and ties kept)
    `permutations` times with a fixed seed; for every node and role (and the
    total) the observed count is set beside the null mean and standard
    deviation, and z = (observed - mean) / sd (NaN when the null does not
    vary). Rows: node_id x role (BROKERAGE_ROLES then "total").
    """
    nodes = list(graph.nodes)
    codes = {g: i for i, g in enumerate(sorted({graph.nodes[n][group] for n in nodes}))}
    labels = np.array([codes[graph.nodes[n][group]] for n in nodes])
    pairs = _open_pairs(graph)
    observed = _role_counts(pairs, labels, nodes)[0]
    rng = np.random.default_rng(seed)
    null = _role_counts(pairs, np.stack([rng.permutation(labels) for _ in range(permutations)]), nodes)
    observed = np.column_stack([observed, observed.sum(axis=1)])
    null = np.concatenate([null, null.sum(axis=2, keepdims=True)], axis=2)
    mean, sd = null.mean(axis=0), null.std(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(sd > 0, (observed - mean) / np.where(sd > 0, sd, 1), np.nan)
    roles = BROKERAGE_ROLES + ["total"]
    rows = [{"node_id": n, "role": r, "observed": int(observed[i, j]), "null_mean": float(mean[i, j]),
             "null_sd": float(sd[i, j]), "z": float(z[i, j])}
            for i, n in enumerate(nodes) for j, r in enumerate(roles)]
    return pd.DataFrame(rows)


def directed_graph(site: Dataset) -> nx.DiGraph:
    """The site's ties with direction: a refers_to tie runs from source to target only, every other
    relation both ways. Nodes and the patients node as in `site_graph` (node attributes copied)."""
    undirected = site_graph(site)
    (site_id,) = site.sites["site_id"]
    graph = nx.DiGraph(site_id=site_id)
    graph.add_nodes_from(undirected.nodes(data=True))
    patients = set(site.participants.loc[site.participants["group"] == "patient", "participant_id"])
    alias = lambda n: patients_node(site_id) if n in patients else n
    for tie in site.connections.itertuples(index=False):
        a, b = alias(tie.source_id), alias(tie.target_id)
        if a == b:
            continue
        graph.add_edge(a, b)
        if tie.relation not in DIRECTED_RELATIONS:
            graph.add_edge(b, a)
    return graph


def directed_brokerage(graph: nx.DiGraph, group: str = "side") -> pd.DataFrame:
    """Gould-Fernandez roles on directed ties: for every two-path a -> b -> c with a != c and no a -> c tie,
    b is coordinator (a, b, c one group), itinerant (a and c one group, b another), gatekeeper (b shares
    c's group, not a's), representative (b shares a's group, not c's) or liaison (three groups).
    Rows: node_id; columns DIRECTED_ROLES and total."""
    rows = []
    for b in graph.nodes:
        counts = dict.fromkeys(DIRECTED_ROLES, 0)
        gb = graph.nodes[b][group]
        for a in graph.predecessors(b):
            for c in graph.successors(b):
                if a == c or graph.has_edge(a, c):
                    continue
                ga, gc = graph.nodes[a][group], graph.nodes[c][group]
                if ga == gc:
                    counts["coordinator" if ga == gb else "itinerant"] += 1
                elif gb == gc:
                    counts["gatekeeper"] += 1
                elif gb == ga:
                    counts["representative"] += 1
                else:
                    counts["liaison"] += 1
        rows.append({"node_id": b, **counts, "total": sum(counts.values())})
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
            "betweenness": m.betweenness, "betweenness_rank": m.rank, "constraint": m.constraint,
            "effective_size": m.effective_size, "brokerage_total": int(roles.at[m.node_id, "total"]),
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
INNER_COLUMNS = {-1.6: ("gp", "practice_staff", "practice_group", "professional_group"),
                 1.6: ("vcse_worker", "voluntary_group")}
# Where the pooled map (one node per actor type) puts each type.
TYPE_POSITIONS = {
    "practice_organisation": (-4.2, 0.0), "gp": (-2.2, 1.1), "practice_staff": (-2.2, -1.1),
    "link_worker": (0.0, 0.0), "patients": (0.0, -2.2),
    "vcse_worker": (2.2, 1.1), "vcse_organisation": (4.2, 0.0), "council_service": (2.2, -1.1),
}
# A merged group takes the first of its slots that no other type of the map holds.
GROUP_SLOTS = {"practice_group": [(-2.2, 1.1), (-2.2, -1.1), (-2.2, 2.3)],
               "voluntary_group": [(2.2, 1.1), (2.2, 2.3)], "professional_group": [(0.0, 1.8)]}


def network_layout(graph: nx.Graph) -> dict[str, tuple[float, float]]:
    """Deterministic positions: organisations in the outer columns, people inside, link worker in the middle.

    Outer columns list their types one after the other (a gap between
    types), each by id; an inner column is ordered by the mean height of each
    node's neighbours already placed (then by id), so that ties cross little.
    Columns are centred on 0; link workers sit in the middle, patients below
    them. The pooled map uses TYPE_POSITIONS, and GROUP_SLOTS for merged groups.
    """
    if graph.graph.get("site_id") == POOLED:
        pos = {node: TYPE_POSITIONS[graph.nodes[node]["node_type"]] for node in graph
               if graph.nodes[node]["node_type"] in TYPE_POSITIONS}
        for node in sorted(set(graph) - set(pos)):
            pos[node] = next(slot for slot in GROUP_SLOTS[graph.nodes[node]["node_type"]] if slot not in pos.values())
        return pos
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
    """Every site's link workers (link_worker_summary rows) with brokerage z-scores against the
    label-permutation null (liaison_z, itinerant_z), the site's employer, its embeddedness score and
    position, and `position_share`: the share of the participant-bootstrap draws of the score that fall
    in that position (how firmly the site sits there)."""
    parts = []
    for g in graphs:
        summary = link_worker_summary(g, node_metrics(g), brokerage(g))
        null = brokerage_null(g).set_index(["node_id", "role"])["z"]
        for role in ("liaison", "itinerant"):
            summary[f"{role}_z"] = [null.get((n, role), np.nan) for n in summary["node_id"]]
        parts.append(summary)
    rows = pd.concat(parts, ignore_index=True)
    labels = {n: d["label"] for g in graphs for n, d in g.nodes(data=True)}
    rows["label"] = rows["node_id"].map(labels)
    emb = embeddedness(dataset)[["site_id", "score", "position"]]
    shares = position_probabilities(position_draws(dataset))
    emb["position_share"] = [shares.at[s, p] if p in shares.columns else np.nan
                             for s, p in zip(emb["site_id"], emb["position"])]
    context = dataset.sites[["site_id", "employer"]].merge(emb)
    return rows.merge(context, on="site_id", how="left")
