"""The programme theory graph: content, evidence on links, and a deterministic, legible drawing."""

from __future__ import annotations

import io
from dataclasses import replace

import matplotlib.pyplot as plt
import networkx as nx
import pandas as pd
import pytest

from support import EMBEDDED
from helpers.analysis import theory as T
from helpers.report import programme_theory as P
from helpers.data.dataset import load_dataset


@pytest.fixture(scope="module")
def dataset():
    return load_dataset(EMBEDDED)

@pytest.fixture(scope="module")
def graph(dataset):
    return T.build_graph(dataset)

def _png(graph) -> bytes:
    fig = P.theory_figure(graph)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()

def test_graph_has_every_node_and_edge_of_the_tables(graph):
    nodes = pd.read_csv(EMBEDDED / "programme_theory_nodes.csv", dtype=str)
    edges = pd.read_csv(EMBEDDED / "programme_theory_edges.csv", dtype=str)
    assert set(graph.nodes) == set(nodes["node_id"])
    assert set(graph.edges) == set(zip(edges["source"], edges["target"]))
    for r in nodes.itertuples():
        assert graph.nodes[r.node_id]["category"] == r.category and graph.nodes[r.node_id]["label"] == r.label
    for r in edges.itertuples():
        assert graph.edges[r.source, r.target]["origin"] == r.origin

def test_link_evidence_counts_the_segments_of_cmocs_testing_the_target(graph):
    cmocs = pd.read_csv(EMBEDDED / "cmocs.csv", dtype=str)
    evidence = pd.read_csv(EMBEDDED / "cmoc_evidence.csv", dtype=str).merge(cmocs, on="cmoc_id")
    per_node = evidence.groupby("proposition_id").size()
    for u, v, data in graph.edges(data=True):
        assert data["n_evidence"] == per_node.get(v, 0)

def test_layers_put_every_cause_above_its_effect_except_loop_closing_links(graph):
    layer = P.layers(graph)
    upward = [(u, v) for u, v in graph.edges if layer[u] >= layer[v]]
    cycles = list(nx.simple_cycles(graph))
    assert all(any(u in c and v in c for c in cycles) for u, v in upward)
    assert nx.is_directed_acyclic_graph(nx.DiGraph([e for e in graph.edges if e not in upward]))
    assert len(upward) <= len(cycles)
    assert all(layer[n] == 0 for n in graph.nodes if graph.in_degree(n) == 0)

def test_boxes_in_a_layer_do_not_overlap(graph):
    positions, _ = P.theory_layout(graph)
    rows: dict[float, list[float]] = {}
    for x, y in positions.values():
        rows.setdefault(y, []).append(x)
    for xs in rows.values():
        xs.sort()
        assert all(b - a >= P.NODE_W for a, b in zip(xs, xs[1:]))

def test_drawing_is_identical_on_two_runs(graph, dataset):
    assert P.theory_layout(graph) == P.theory_layout(T.build_graph(dataset))
    assert _png(graph) == _png(T.build_graph(dataset))

def test_tables_carry_the_same_content_as_the_graph(graph, dataset):
    from helpers.analysis.cmoc import verdicts

    overall = verdicts(dataset, overall=True)
    nodes = P.theory_nodes_table(graph, overall, dataset.cmocs)
    edges = P.theory_edges_table(graph)
    assert len(nodes) == graph.number_of_nodes() and len(edges) == graph.number_of_edges()
    text = P.theory_changes_phrase(graph, overall, dataset.cmocs)
    for cmoc in dataset.cmocs["cmoc_id"]:
        assert cmoc in text

def test_a_graph_without_evidence_still_draws(dataset):
    empty = replace(dataset, tables={**dataset.tables, "cmoc_evidence": dataset.cmoc_evidence.iloc[:0]})
    graph = T.build_graph(empty)
    assert all(d["n_evidence"] == 0 for *_, d in graph.edges(data=True))
    assert _png(graph)[:8] == b"\x89PNG\r\n\x1a\n"
