"""Stakeholder networks for readers: tables and phrases of the site and synthesis chapters."""

from __future__ import annotations

import networkx as nx
import pandas as pd

from helpers.analysis.embeddedness import LEVEL_NAMES
from helpers.analysis.network import NODE_TYPES

EMPLOYER_LABELS = {"primary_care": "primary care", "vcse": "VCSE"}


def network_phrases(graph: nx.Graph, link_workers: pd.DataFrame) -> dict[str, str]:
    """Values for the site chapter's text, keyed by glue name (one clause per link worker)."""
    def each(text) -> str:
        clauses = [(text(r), graph.nodes[r.node_id]["label"]) for r in link_workers.itertuples()]
        if len(clauses) == 1:
            return clauses[0][0]
        return " and ".join(f"{value} for {who}" for value, who in clauses) or "none (no link worker is listed)"

    return {
        "nw_actors": str(graph.number_of_nodes()), "nw_ties": str(graph.number_of_edges()),
        "nw_density": f"{nx.density(graph):.2f}",
        "nw_lw_inside": each(lambda r: f"{r.practice_ties} of {r.degree} ({r.practice_share:.0%})"),
        "nw_lw_brokered": each(lambda r: f"{r.practice_voluntary} of {r.pv_pairs}"),
    }


def network_metrics_table(graph: nx.Graph, metrics: pd.DataFrame) -> pd.DataFrame:
    """network_metrics rows for reading, most between first."""
    def num(v, fmt="{:.2f}") -> str:
        return "" if pd.isna(v) else fmt.format(v)
    frame = metrics.assign(actor=[graph.nodes[n]["label"] for n in metrics["node_id"]],
                           type=[NODE_TYPES[t][0] for t in metrics["node_type"]],
                           weighted=[f"{w:.4g}" for w in metrics["weighted_degree"]],
                           between=metrics["betweenness"].map("{:.3f}".format),
                           burt=metrics["constraint"].map(num), effective=metrics["effective_size"].map(num),
                           stability=metrics["community_stability"].map(num))
    frame = frame.sort_values(["betweenness", "weighted_degree", "node_id"], ascending=[False, False, True])
    return (frame[["actor", "type", "degree", "weighted", "between", "burt", "effective", "community", "stability"]]
            .rename(columns={"weighted": "weighted degree", "between": "betweenness", "burt": "constraint",
                             "effective": "effective size", "stability": "community stability"})
            .set_index("actor"))


def community_phrase(consensus: dict) -> str:
    """How firmly the communities hold over the Louvain runs, in words."""
    n_groups = len(set(consensus["community"].values()))
    shaky = sum(v < 0.9 for v in consensus["stability"].values())
    return (f"Over {consensus['runs']} runs of the Louvain method with different seeds, "
            f"{consensus['n_partitions']} different partition{'s' if consensus['n_partitions'] != 1 else ''} "
            f"appeared; the consensus partition ({n_groups} communit{'ies' if n_groups != 1 else 'y'}) came out "
            f"in {consensus['frequency']:.0%} of the runs, and {shaky} actor{'s' if shaky != 1 else ''} "
            f"had a stability below 0.90")


def brokerage_null_table(graph: nx.Graph, null: pd.DataFrame, nodes) -> pd.DataFrame:
    """Observed brokerage of `nodes` beside the label-permutation null: count, null mean and z per role."""
    mine = null[null["node_id"].isin(list(nodes)) & (null["role"] != "total")].copy()
    mine["actor"] = [graph.nodes[n]["label"] for n in mine["node_id"]]
    mine["role"] = mine["role"].str.replace("_", " or ")
    mine["null mean (sd)"] = [f"{m:.1f} ({s:.1f})" for m, s in zip(mine["null_mean"], mine["null_sd"])]
    mine["z"] = mine["z"].map(lambda v: "not defined" if pd.isna(v) else f"{v:+.2f}")
    return mine.set_index(["actor", "role"])[["observed", "null mean (sd)", "z"]]


def brokerage_table(graph: nx.Graph, roles: pd.DataFrame, top: int = 10) -> pd.DataFrame:
    """Brokerage counts of the `top` actors who broker the most pairs (ties broken by id)."""
    frame = roles[roles["total"] > 0].sort_values(["total", "practice_voluntary"], ascending=False, kind="stable")
    frame = frame.head(top).rename(columns={"gatekeeper_representative": "gatekeeper or representative",
                                            "practice_voluntary": "practice-voluntary pairs"})
    frame.index = [graph.nodes[n]["label"] for n in frame.index]
    return frame.rename_axis("actor")


def link_worker_table(table: pd.DataFrame) -> pd.DataFrame:
    """compare_link_workers rows for reading."""
    frame = pd.DataFrame({
        "site": table["site_id"],
        "link worker": table["label"],
        "employer": table["employer"].map(EMPLOYER_LABELS),
        "embeddedness": [f"{LEVEL_NAMES[p]} {s:+.2f} ({q:.0%} of draws)" if pd.notna(s) else LEVEL_NAMES[p]
                         for p, s, q in zip(table["position"], table["score"], table["position_share"])],
        "ties": table["degree"],
        "inside practice": [f"{n} ({s:.0%})" for n, s in zip(table["practice_ties"], table["practice_share"])],
        "mean weight inside": table["practice_mean_weight"].map("{:.2f}".format),
        "practice-voluntary pairs brokered": [f"{b} of {p}" for b, p in zip(table["practice_voluntary"],
                                                                          table["pv_pairs"])],
        "betweenness (rank)": [f"{b:.3f} ({r})" for b, r in zip(table["betweenness"], table["betweenness_rank"])],
        "constraint": table["constraint"].map("{:.2f}".format),
        "effective size": table["effective_size"].map("{:.1f}".format),
        "liaison z": table["liaison_z"].map(lambda v: "" if pd.isna(v) else f"{v:+.2f}"),
    })
    return frame.set_index(["site", "link worker"])


def network_context_table(table: pd.DataFrame) -> pd.DataFrame:
    """Link workers' ties inside the practice, averaged by embeddedness position and by employer."""
    parts = []
    for column, name, labels in (("position", "embeddedness", LEVEL_NAMES), ("employer", "employer", EMPLOYER_LABELS)):
        grouped = table.groupby(column).agg(
            link_workers=("node_id", "size"), ties_inside=("practice_ties", "mean"),
            share_inside=("practice_share", "mean"), mean_weight_inside=("practice_mean_weight", "mean"))
        grouped = grouped.reindex([k for k in labels if k in grouped.index])
        grouped.index = pd.MultiIndex.from_product([[name], [labels[k] for k in grouped.index]])
        parts.append(grouped)
    frame = pd.concat(parts).rename_axis(["context", "group"])
    frame["share_inside"] = (frame["share_inside"] * 100).round(0).astype(int).astype(str) + "%"
    return frame.round(2).rename(columns=lambda c: c.replace("_", " "))


def association_phrase(table: pd.DataFrame) -> str:
    """Spearman's rank correlation of embeddedness score with ties inside the practice, in words."""
    known = table.dropna(subset=["score"])
    rho = known["score"].corr(known["practice_ties"], method="spearman") if len(known) >= 3 else float("nan")
    if pd.isna(rho):
        return (f"With {len(known)} placed link workers, or no spread in either measure, "
                "no rank correlation is reported")
    trend = "more" if rho > 0 else "fewer" if rho < 0 else "neither more nor fewer"
    return (f"Across the {len(known)} link workers whose site could be placed, those further towards belonging had "
            f"{trend} ties inside the practice (Spearman's rank correlation {rho:+.2f})")
