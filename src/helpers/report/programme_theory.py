"""What the programme theory page shows: a deterministic layered drawing, link and node tables,
and the list of what the evaluation changed.

Layout (no randomness, so the figure is identical on every run): links that
close a cycle are set aside (depth-first search in table order); every node
sits on the layer after the deepest of its causes, nodes with no cause on the
first layer; a node is then moved down next to its nearest effect when that
shortens its links. Links spanning several layers pass through invisible
waypoints. Within a layer nodes are ordered to reduce crossings (barycentre
sweeps) and spaced as close to their neighbours as their order allows.
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch
from matplotlib.path import Path

from helpers.analysis.cmoc import STANCES
from helpers.analysis.theory import CATEGORIES
from helpers.report.escape import markdown_text
from helpers.report.figures import PALETTE
from helpers.report.realist_figures import lighten

CATEGORY_NAMES = {
    "actor": "Key actor", "review_concept": "Key concept from the review",
    "review_outcome": "Outcome from the review", "new_concept": "New concept from the evaluation",
    "new_outcome": "New outcome from the evaluation",
}
CATEGORY_COLOURS = {"actor": PALETTE[7], "review_concept": PALETTE[0], "review_outcome": PALETTE[4],
                    "new_concept": PALETTE[1], "new_outcome": PALETTE[2]}
ORIGIN_NAMES = {"review": "initial theory (review)", "evaluation": "added by the evaluation"}
ORIGIN_COLOURS = {"review": "#8a8a8a", "evaluation": "#1f1f1f"}
NODE_W, NODE_H, DUMMY_W, GAP, LAYER_GAP = 1.0, 0.5, 0.12, 0.16, 0.8
INCH_PER_UNIT, LEGEND_INCHES = 1.45, 1.45


def _forward_edges(graph: nx.DiGraph) -> list[tuple[str, str]]:
    """The links left after removing those that close a cycle (DFS from sources, in table order)."""
    order = list(graph.nodes)
    starts = [n for n in order if graph.in_degree(n) == 0] + order
    state, back = {}, set()
    for start in starts:
        if start in state:
            continue
        state[start] = "open"
        stack = [(start, iter(list(graph.successors(start))))]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = "done"
                stack.pop()
            elif state.get(child) == "open":
                back.add((node, child))
            elif child not in state:
                state[child] = "open"
                stack.append((child, iter(list(graph.successors(child)))))
    return [e for e in graph.edges if e not in back]


def layers(graph: nx.DiGraph) -> dict[str, int]:
    """Layer of each node (0 = first), see the module docstring."""
    dag = nx.DiGraph(_forward_edges(graph))
    dag.add_nodes_from(graph.nodes)
    order = list(nx.lexicographical_topological_sort(dag, key=list(graph.nodes).index))
    layer = {}
    for node in order:
        layer[node] = max((layer[p] + 1 for p in dag.predecessors(node)), default=0)
    for node in reversed(order):
        successors = [layer[s] for s in dag.successors(node)]
        if successors and dag.in_degree(node) > 0:
            layer[node] = max(layer[node], min(successors) - 1)
    return layer


def _isotonic(values: np.ndarray) -> np.ndarray:
    """Least-squares non-decreasing fit (pool adjacent violators)."""
    blocks = []  # [mean, size]
    for v in values:
        blocks.append([float(v), 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            (m2, n2), (m1, n1) = blocks.pop(), blocks.pop()
            blocks.append([(m1 * n1 + m2 * n2) / (n1 + n2), n1 + n2])
    return np.concatenate([np.full(n, m) for m, n in blocks])


def _place(desired: list[float], widths: list[float]) -> list[float]:
    """x positions in the given order, closest to `desired` with no overlap (a wider gap between a
    box and a passing link)."""
    gaps = [(a + b) / 2 + (GAP if a == b else 1.6 * GAP) for a, b in zip(widths, widths[1:])]
    offsets = np.concatenate([[0.0], np.cumsum(gaps)])
    return list(_isotonic(np.asarray(desired) - offsets) + offsets)


def theory_layout(graph: nx.DiGraph) -> tuple[dict[str, tuple[float, float]], dict[tuple[str, str], list]]:
    """Node centres and, for each link, the waypoints it passes through (top-to-bottom layers)."""
    layer = layers(graph)
    table_order = {n: i for i, n in enumerate(graph.nodes)}
    rank = {c: i for i, c in enumerate(CATEGORIES)}
    chains, members = {}, {k: [] for k in range(max(layer.values(), default=0) + 1)}
    for node in sorted(graph.nodes, key=lambda n: (rank.get(graph.nodes[n]["category"], 9), table_order[n])):
        members[layer[node]].append(node)
    links = []  # (upper, lower) pairs between adjacent layers, dummies included
    for u, v in graph.edges:
        top, bottom = sorted((u, v), key=layer.get)
        path = [top] + [("via", u, v, k) for k in range(layer[top] + 1, layer[bottom])] + [bottom]
        for k, item in zip(range(layer[top] + 1, layer[bottom]), path[1:-1]):
            members[k].append(item)
        chains[(u, v)] = path
        links += list(zip(path, path[1:]))
    up = {m: [a for a, b in links if b == m] for ms in members.values() for m in ms}
    down = {m: [b for a, b in links if a == m] for ms in members.values() for m in ms}
    index = {m: i for ms in members.values() for i, m in enumerate(ms)}
    for sweep in range(8):  # barycentre ordering, alternating down and up
        ks = range(1, len(members)) if sweep % 2 == 0 else range(len(members) - 2, -1, -1)
        for k in ks:
            near = up if sweep % 2 == 0 else down
            bary = {m: np.mean([index[n] for n in near[m]]) if near[m] else index[m] for m in members[k]}
            members[k] = sorted(members[k], key=lambda m: (bary[m], index[m]))
            index.update({m: i for i, m in enumerate(members[k])})
    width = {m: DUMMY_W if isinstance(m, tuple) else NODE_W for ms in members.values() for m in ms}
    x = {}
    for ms in members.values():
        x.update(zip(ms, _place([0.0] * len(ms), [width[m] for m in ms])))
    for sweep in range(8):  # pull each layer towards its neighbours, keeping order and spacing
        ks = range(1, len(members)) if sweep % 2 == 0 else range(len(members) - 2, -1, -1)
        for k in ks:
            desired = [np.mean([x[n] for n in up[m] + down[m]]) if up[m] + down[m] else x[m]
                       for m in members[k]]
            x.update(zip(members[k], _place(desired, [width[m] for m in members[k]])))
    shift = min(x.values())
    depth = {m: k for k, ms in members.items() for m in ms}
    point = {m: (round(x[m] - shift, 6), -depth[m] * LAYER_GAP) for m in x}
    positions = {n: point[n] for n in graph.nodes}
    waypoints = {e: [point[m] for m in chain[1:-1]] for e, chain in chains.items()}
    return positions, waypoints


def _chains(positions, waypoints) -> dict:
    """Each link's points in drawing order (tail to head), leaving and entering its boxes at ports
    spread along the box edge in the order of where the links go."""
    sides = {}
    for (u, v), via in waypoints.items():
        top, bottom = (v, u) if positions[u][1] < positions[v][1] else (u, v)
        sides.setdefault((top, "bottom"), []).append(((u, v), (via[0] if via else positions[bottom])[0]))
        sides.setdefault((bottom, "top"), []).append(((u, v), (via[-1] if via else positions[top])[0]))
    port = {}
    for (node, side), items in sides.items():
        x, y = positions[node]
        for i, (edge, _) in enumerate(sorted(items, key=lambda t: (t[1], t[0]))):
            port[edge, side] = (x + NODE_W * 0.8 * ((i + 1) / (len(items) + 1) - 0.5),
                                y - NODE_H / 2 if side == "bottom" else y + NODE_H / 2)
    chains = {}
    for (u, v), via in waypoints.items():
        through = [p for x, y in via for p in ((x, y + NODE_H / 2), (x, y - NODE_H / 2))]  # straight past boxes
        points = [port[(u, v), "bottom"], *through, port[(u, v), "top"]]
        chains[u, v] = points[::-1] if positions[u][1] < positions[v][1] else points
    return chains


def _curve(points: list[tuple[float, float]]) -> Path:
    """A smooth path through `points`: vertical S-curves between consecutive points."""
    verts, codes = [points[0]], [Path.MOVETO]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        mid = (y0 + y1) / 2
        verts += [(x0, mid), (x1, mid), (x1, y1)]
        codes += [Path.CURVE4] * 3
    return Path(verts, codes)


def theory_figure(graph: nx.DiGraph):
    """The theory graph: boxes coloured by category, link width by evidence, legend below."""
    positions, waypoints = theory_layout(graph)
    chains = _chains(positions, waypoints)
    xs = [p[0] for p in positions.values()] + [w[0] for via in waypoints.values() for w in via]
    depth = -min(p[1] for p in positions.values())
    width, height = max(xs) - min(xs) + NODE_W + 0.1, depth + NODE_H + 0.2
    fig, ax = plt.subplots(figsize=(INCH_PER_UNIT * width, INCH_PER_UNIT * height + LEGEND_INCHES))
    most = max([d["n_evidence"] for *_, d in graph.edges(data=True)] + [0])

    def line_width(n: int) -> float:
        return 0.8 + 4.2 * n / max(most, 1)

    for (u, v), points in chains.items():
        data = graph.edges[u, v]
        ax.add_patch(FancyArrowPatch(path=_curve(points), arrowstyle="-|>", mutation_scale=11,
                                     linewidth=line_width(data["n_evidence"]),
                                     color=ORIGIN_COLOURS.get(data["origin"], "#555555"),
                                     linestyle="-" if data["n_evidence"] else (0, (3, 2)), zorder=1))
    for node, (x, y) in positions.items():
        data = graph.nodes[node]
        colour = CATEGORY_COLOURS.get(data["category"], PALETTE[7])
        ax.add_patch(FancyBboxPatch((x - NODE_W / 2, y - NODE_H / 2), NODE_W, NODE_H,
                                    boxstyle="round,pad=0,rounding_size=0.08", facecolor=lighten(colour, 0.5),
                                    edgecolor=colour, linewidth=1.6, zorder=2))
        ax.text(x, y, "\n".join(textwrap.wrap(data["label"], 17)), ha="center", va="center", fontsize=10,
                zorder=3, linespacing=1.1)
    ax.set_xlim(min(xs) - NODE_W / 2 - 0.05, max(xs) + NODE_W / 2 + 0.05)
    ax.set_ylim(-depth - NODE_H / 2 - 0.1, NODE_H / 2 + 0.1)
    ax.set_aspect("equal")
    ax.axis("off")
    handles = [Patch(facecolor=lighten(CATEGORY_COLOURS[c], 0.5), edgecolor=CATEGORY_COLOURS[c],
                     label=CATEGORY_NAMES[c])
               for c in CATEGORIES if any(d["category"] == c for _, d in graph.nodes(data=True))]
    handles += [Line2D([], [], color=ORIGIN_COLOURS[o], linewidth=2, label=f"link: {ORIGIN_NAMES[o]}")
                for o in ORIGIN_NAMES]
    handles += [Line2D([], [], color="#555555", linewidth=line_width(n), label=f"{n} evidence segments")
                for n in sorted({round(most / 4), most}) if n > 0]
    handles.append(Line2D([], [], color="#555555", linewidth=0.8, linestyle=(0, (3, 2)),
                          label="no CMOC tests the target"))
    fig.legend(handles=handles, loc="lower center", ncol=2, frameon=False, fontsize=10,
               bbox_to_anchor=(0.5, 0.0))
    fig.subplots_adjust(left=0, right=1, top=1, bottom=LEGEND_INCHES / fig.get_figheight())
    return fig


def theory_edges_table(graph: nx.DiGraph) -> pd.DataFrame:
    """The graph's links for reading: from, relation, to, where the link comes from, and the
    evidence of the node it points to (CMOCs testing it, cited segments by stance)."""
    rows = [{"from": graph.nodes[u]["label"], "relation": d["relation"], "to": graph.nodes[v]["label"],
             "link from": d["origin"], "CMOCs": d["cmocs"],
             **{s: graph.nodes[v][f"n_{s}"] for s in STANCES}} for u, v, d in graph.edges(data=True)]
    return pd.DataFrame(rows).set_index("from")


def theory_nodes_table(graph: nx.DiGraph, overall: pd.DataFrame, cmocs: pd.DataFrame) -> pd.DataFrame:
    """The graph's nodes for reading: category, the CMOCs testing each with their overall verdict,
    and cited segments by stance (`overall`: cmoc_verdicts rows for ALL)."""
    verdict = overall.set_index("cmoc_id")["verdict"]
    tested = cmocs.groupby("proposition_id")["cmoc_id"].apply(list).to_dict()
    rows = [{"node": d["label"], "category": CATEGORY_NAMES.get(d["category"], d["category"]),
             "CMOCs (overall verdict)": ", ".join(f"{c} ({verdict[c]})" for c in tested.get(n, [])),
             **{s: d[f"n_{s}"] for s in STANCES}} for n, d in graph.nodes(data=True)]
    return pd.DataFrame(rows).set_index("node")


def theory_changes_phrase(graph: nx.DiGraph, overall: pd.DataFrame, cmocs: pd.DataFrame) -> str:
    """Markdown list: what the initial (review) theory held and what the evaluation added, by part.

    Nodes of the categories new_concept and new_outcome, and links and CMOCs of
    origin "evaluation", are additions; everything else is the initial theory.
    Added links are listed one per line; CMOCs carry their overall verdict. Labels and
    relations are data, escaped as literal text.
    """
    verdict = overall.set_index("cmoc_id")["verdict"]
    label = {n: markdown_text(d["label"]) for n, d in graph.nodes(data=True)}
    nodes = {c: [label[n] for n, d in graph.nodes(data=True) if d["category"] == c] for c in CATEGORIES}
    links = {o: [f"{label[u]} → {label[v]} (*{markdown_text(d['relation'])}*)" for u, v, d in graph.edges(data=True)
                 if d["origin"] == o] for o in ("review", "evaluation")}
    tested = {o: [markdown_text(f"{c} ({verdict[c]})") for c in cmocs.loc[cmocs["origin"] == o, "cmoc_id"]]
              for o in ("review", "evaluation")}

    def listed(items: list[str]) -> str:
        return f"{len(items)}: " + "; ".join(items) if items else "none"

    lines = []
    parts = (("Actors", nodes["actor"], []), ("Concepts", nodes["review_concept"], nodes["new_concept"]),
             ("Outcomes", nodes["review_outcome"], nodes["new_outcome"]),
             ("CMOCs tested (overall verdict)", tested["review"], tested["evaluation"]))
    for part, old, new in parts:
        lines += [f"- **{part}**", f"  - in the initial theory, {listed(old)}",
                  f"  - added by the evaluation, {listed(new)}"]
    lines += ["- **Links**", f"  - in the initial theory, {len(links['review'])} (listed in the link table below)",
              f"  - added by the evaluation, {len(links['evaluation'])}" + (":" if links["evaluation"] else "")]
    lines += [f"    - {link}" for link in links["evaluation"]]
    return "\n".join(lines)
