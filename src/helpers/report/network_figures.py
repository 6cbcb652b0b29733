"""Drawings of the stakeholder networks and the link-worker comparison across sites."""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch

from helpers.analysis.embeddedness import LEVEL_NAMES, LEVELS, NO_EVIDENCE, THRESHOLDS
from helpers.analysis.network import NODE_TYPES, POOLED, network_layout
from helpers.report.figures import PALETTE, lay_out, readable_text, smallest_readable_pt
from helpers.report.scale import in_detail

# node_type -> (colour, marker): people are circles, organisations squares.
STYLE = {
    "practice_organisation": (PALETTE[4], "s"),
    "gp": (PALETTE[0], "o"),
    "practice_staff": (PALETTE[9], "o"),
    "link_worker": (PALETTE[3], "o"),
    "patients": (PALETTE[7], "D"),
    "vcse_worker": (PALETTE[2], "o"),
    "vcse_organisation": (PALETTE[8], "s"),
    "council_service": (PALETTE[5], "s"),
    "practice_group": (PALETTE[0], "H"),  # merged groups of people: hexagons
    "voluntary_group": (PALETTE[2], "H"),
    "professional_group": (PALETTE[9], "H"),
}
GROUPS = ("link_worker", "patients", "practice_group", "voluntary_group", "professional_group")
POSITION_COLOURS = {"bolted_on": PALETTE[3], "fitting_in": PALETTE[8], "belonging": PALETTE[2],
                    NO_EVIDENCE: PALETTE[7]}
EMPLOYER_MARKERS = {"primary_care": ("o", "primary care"), "vcse": ("s", "VCSE organisation")}


def _edge_width(weight: float, top: float) -> float:
    return 0.6 + 3.4 * min(weight, top) / top


def _edge_style(graph: nx.Graph, a: str, b: str, pos, outward: bool) -> dict:
    """Colour, dash and curvature of one tie.

    Ties of the link worker are orange; a direct tie between the practice and
    the voluntary side is dark and dashed; ties within one column bow (towards
    the middle, or away from it if `outward`) so that they do not run along
    the column.
    """
    sides = {graph.nodes[a]["side"], graph.nodes[b]["side"]}
    (xa, ya), (xb, yb) = pos[a], pos[b]
    rad = 0.0
    if xa == xb != 0:
        towards_middle = (-1 if xa > 0 else 1) * (-1 if outward else 1)
        rad = towards_middle * np.sign(yb - ya) * min(0.5, 1.0 / abs(yb - ya))
    if "link_worker" in sides:
        return dict(color=PALETTE[3], alpha=0.5, linestyle="-", rad=rad)
    if sides == {"practice", "voluntary"}:
        return dict(color="#333333", alpha=0.9, linestyle="--", rad=0.3)
    return dict(color="#9a9a9a", alpha=0.55, linestyle="-", rad=rad)


def network_figure(graph: nx.Graph, figsize=None):
    """Draw a stakeholder graph (a site's, or the pooled map) with `layout`.

    Colour and shape by actor type; line width by tie weight, up to 5 for a
    site and up to the largest summed weight for the pooled map, whose ties
    are also labelled with the number of site ties behind them.
    """
    pooled = graph.graph.get("site_id") == POOLED
    pos = network_layout(graph)
    top_weight = max((w for *_, w in graph.edges(data="weight")), default=1.0) if pooled else 5.0
    tallest = max(pd.Series([x for x, _ in pos.values()]).value_counts().max(), 1) if pos else 1
    fig, ax = plt.subplots(figsize=figsize or (10, max(4.8, 0.62 * tallest + 2.4)))
    crossing = False
    bends = []
    for a, b, tie in sorted(graph.edges(data=True), key=lambda e: (e[2]["weight"], e[0], e[1])):
        style = _edge_style(graph, a, b, pos, outward=pooled)
        crossing |= style["linestyle"] == "--"
        bends.append((a, b, style["rad"], tie["n_ties"]))
        ax.add_patch(FancyArrowPatch(
            pos[a], pos[b], arrowstyle="-", linewidth=_edge_width(tie["weight"], top_weight),
            color=style["color"], alpha=style["alpha"], linestyle=style["linestyle"],
            connectionstyle=f"arc3,rad={style['rad']}", zorder=1, shrinkA=0, shrinkB=0))
    for node_type, (colour, marker) in STYLE.items():
        nodes = [n for n, d in graph.nodes(data=True) if d["node_type"] == node_type]
        if nodes:
            size = 520 if node_type in GROUPS or pooled else 230
            ax.scatter([pos[n][0] for n in nodes], [pos[n][1] for n in nodes], s=size, c=[colour],
                       marker=marker, edgecolors="#333333", linewidths=0.8, zorder=3)
    for node, (x, y) in pos.items():
        node_type = graph.nodes[node]["node_type"]
        text = "\n".join(textwrap.wrap(graph.nodes[node]["label"], 20, break_on_hyphens=False))
        box = dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.85)
        if node_type in GROUPS[2:] and not pooled:  # a merged group beside the link worker: label below
            ax.annotate(text, (x, y), xytext=(0, -14), textcoords="offset points", ha="center", va="top",
                        fontsize=9, zorder=4, bbox=box, fontstyle="italic")
        elif x == 0 or (pooled and abs(x) < 3):
            above = pooled and y > 0
            ax.annotate(text, (x, y), xytext=(0, 17 if above else -17), textcoords="offset points",
                        ha="center", va="bottom" if above else "top", fontsize=9, zorder=4, bbox=box,
                        fontweight="bold" if node_type == "link_worker" else "normal")
        else:
            ax.annotate(text, (x, y), xytext=(-11 if x < 0 else 11, 0), textcoords="offset points",
                        va="center", ha="right" if x < 0 else "left", fontsize=9, zorder=4, bbox=box)
    ys = [y for _, y in pos.values()]
    top = max(ys, default=0) + (1.8 if pooled else 0.9)  # pooled labels sit above their nodes
    ax.text(-2.9, top, "Practice side", ha="center", fontsize=10, fontweight="bold", color="#333333")
    ax.text(2.9, top, "Voluntary and community side", ha="center", fontsize=10, fontweight="bold",
            color="#333333")
    ax.set_xlim(-6.3, 6.3)
    ax.set_ylim(min(ys, default=0) - (1.9 if pooled else 1.3), top + 0.5)  # room for the note under
    ax.axis("off")
    ax.legend(handles=_legend(graph, top_weight, pooled, crossing), loc="upper center",
              bbox_to_anchor=(0.5, 0.0), ncol=3, frameon=False, fontsize=9)  # 4 overflow once text is enlarged
    if not pooled:
        return lay_out(fig)
    readable_text(lay_out(fig))  # laid out now, text at its final size: the tie counts go on the arcs as drawn
    size = max(8.5, smallest_readable_pt(fig))
    for a, b, rad, n_ties in bends:
        ax.text(*_arc_middle(ax, pos[a], pos[b], rad), f"{n_ties}", fontsize=size, ha="center", va="center",
                zorder=2, bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="#bbbbbb", lw=0.6))
    ax.text(0.0, 0.0, "Numbers on the lines: how many site ties each pooled tie sums.", fontsize=size,
            color="#444444", transform=ax.transAxes)
    return fig


def _arc_middle(ax, a, b, rad: float) -> tuple[float, float]:
    """Data coordinates of the middle of an arc3 curve from a to b (computed, like arc3, on screen)."""
    screen = ax.transData.transform(np.array([a, b], dtype=float))
    start, end = screen
    control = (start + end) / 2 + rad * np.array([end[1] - start[1], start[0] - end[0]])
    return tuple(ax.transData.inverted().transform(0.25 * start + 0.5 * control + 0.25 * end))


def _legend(graph: nx.Graph, top_weight: float, pooled: bool, crossing: bool) -> list:
    present = {d["node_type"] for _, d in graph.nodes(data=True)}
    handles = [Line2D([], [], linestyle="", marker=STYLE[t][1], markersize=10, markerfacecolor=STYLE[t][0],
                      markeredgecolor="#333333", label=NODE_TYPES[t][0]) for t in STYLE if t in present]
    word = "summed weight" if pooled else "tie of weight"
    handles += [Line2D([], [], color="#9a9a9a", linewidth=_edge_width(w, top_weight), label=f"{word} {w:g}")
                for w in (1, top_weight)]
    handles.append(Line2D([], [], color=PALETTE[3], alpha=0.6, linewidth=2.5, label="tie of the link worker"))
    if crossing:
        handles.append(Line2D([], [], color="#333333", linestyle="--", linewidth=1.3,
                              label="direct practice-voluntary tie"))
    return handles


def link_worker_figure(table: pd.DataFrame):
    """Dot plots, one row per site's link worker: practice ties, their share, brokerage, betweenness.

    `table` has one row per link worker with the columns of
    `network.link_worker_summary` plus `position` and `employer`.
    """
    panels = [("practice_ties", "ties inside\nthe practice"), ("practice_share", "share of ties\ninside the practice"),
              ("practice_voluntary", "practice-voluntary\npairs brokered"), ("betweenness", "betweenness\n")]
    rows = table.reset_index(drop=True)
    detail = in_detail(len(rows))  # one labelled row per link worker; beyond, each panel's values in order
    fig, axes = plt.subplots(1, len(panels), figsize=(10, 1.8 + 0.42 * len(rows) if detail else 8), sharey=detail)
    for ax, (column, title) in zip(axes, panels):
        if detail:
            for y, r in rows.iterrows():
                marker = EMPLOYER_MARKERS[r["employer"]][0]
                ax.scatter(r[column], y, s=70, marker=marker, color=POSITION_COLOURS[r["position"]],
                           edgecolors="#333333", linewidths=0.7, zorder=3)
        else:  # one scatter per employer's marker, of the values in order
            ordered = rows.sort_values(column, kind="stable").reset_index(drop=True)
            for marker, mine in ordered.groupby(ordered["employer"].map(lambda e: EMPLOYER_MARKERS[e][0])):
                ax.scatter(mine[column], mine.index, s=10, marker=marker, edgecolors="#333333", linewidths=0.2,
                           color=[POSITION_COLOURS[p] for p in mine["position"]], zorder=3)
        ax.set_title(title, fontsize=9.5)
        ax.grid(axis="y", visible=False)
        if column == "practice_share":
            ax.set_xlim(0, 1)
            ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
        else:
            ax.set_xlim(left=0, right=max(rows[column].max() * 1.12, 1e-9))
    if detail:
        axes[0].set_yticks(range(len(rows)), [f"{r.site_id}  {r.label}" for r in rows.itertuples()])
        axes[0].invert_yaxis()  # shared by the other panels
    else:
        for ax in axes:
            ax.invert_yaxis()
            ax.set_yticks([])
        axes[0].set_ylabel(f"{len(rows):,} link workers, each panel in its own order", fontsize=9)
    fig.legend(handles=_context_handles(rows), loc="lower center", ncol=6, frameon=False, fontsize=9,
               bbox_to_anchor=(0.5, 0.045))  # inside the figure, above the synthetic mark in its corner
    return lay_out(fig, rect=(0, 0.14, 1, 1))


def _context_handles(rows: pd.DataFrame) -> list:
    handles = [Line2D([], [], linestyle="", marker="o", markersize=9, markerfacecolor=POSITION_COLOURS[p],
                      markeredgecolor="#333333", label=LEVEL_NAMES[p])
               for p in (*LEVELS, NO_EVIDENCE) if p in set(rows["position"])]
    handles += [Line2D([], [], linestyle="", marker=m, markersize=9, markerfacecolor="white",
                       markeredgecolor="#333333", label=f"employed by {label}")
                for e, (m, label) in EMPLOYER_MARKERS.items() if e in set(rows["employer"])]
    return handles


def network_context_figure(table: pd.DataFrame):
    """Link workers' ties inside the practice against the site's embeddedness score, and by employer."""
    rows = table.reset_index(drop=True)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.4), gridspec_kw={"width_ratios": [2.2, 1]},
                                      sharey=True)
    for threshold in THRESHOLDS:
        left.axvline(threshold, color="#777777", linestyle=":", linewidth=1)
    for x, name in ((-2 / 3, "bolted on"), (0, "fitting in"), (2 / 3, "belonging")):
        left.text(x, 1.02, name, transform=left.get_xaxis_transform(), ha="center", fontsize=9, color="#444444")
    employers = [e for e in EMPLOYER_MARKERS if e in set(rows["employer"])]
    for r in rows.itertuples():
        marker = EMPLOYER_MARKERS[r.employer][0]
        style = dict(s=80, marker=marker, color=POSITION_COLOURS[r.position], edgecolors="#333333",
                     linewidths=0.7, zorder=3)
        if pd.notna(r.score):
            left.scatter(r.score, r.practice_ties, **style)
            left.annotate(r.site_id, (r.score, r.practice_ties), xytext=(6, 4), textcoords="offset points",
                          fontsize=8.5)
        x = employers.index(r.employer) + _spread(rows, r)
        right.scatter(x, r.practice_ties, **style)
        right.annotate(r.site_id, (x, r.practice_ties), xytext=(6, 4), textcoords="offset points", fontsize=8.5)
    left.set_xlim(-1.05, 1.05)
    left.set_xlabel("embeddedness score (mean of -1 bolted on, 0 fitting in, +1 belonging)")
    left.set_ylabel("link worker's ties inside the practice")
    left.set_ylim(0, rows["practice_ties"].max() * 1.15 + 0.5)
    right.set_xticks(range(len(employers)), [EMPLOYER_MARKERS[e][1] for e in employers])
    right.set_xlim(-0.6, len(employers) - 0.4)
    right.set_xlabel("employer")
    right.grid(axis="x", visible=False)
    fig.legend(handles=_context_handles(rows), loc="lower center", ncol=6, frameon=False, fontsize=9,
               bbox_to_anchor=(0.5, 0.045))  # inside the figure, above the synthetic mark in its corner
    return lay_out(fig, rect=(0, 0.12, 1, 0.97))


def _spread(rows: pd.DataFrame, row) -> float:
    """Small horizontal offset so that link workers with equal values do not hide each other."""
    same = rows[(rows["employer"] == row.employer) & (rows["practice_ties"] == row.practice_ties)]
    if len(same) == 1:
        return 0.0
    k = list(same["node_id"]).index(row.node_id)
    return 0.12 * (k - (len(same) - 1) / 2)
