"""Stakeholder networks: measures on hand-worked graphs, privacy of patients, determinism, planted facts."""

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

from helpers.analysis import network as N
from helpers.data.dataset import Dataset, load_dataset
from helpers.report.network_figures import network_figure
from helpers.synth import write_dataset

from support import EMBEDDED


def toy_dataset(**tables) -> Dataset:
    return Dataset(path=Path("toy"), metadata=None, tables={k: pd.DataFrame(v) for k, v in tables.items()})


def toy_site() -> Dataset:
    """Seven nodes once the two patients are folded together.

    Ties (weight -> distance 1/weight): GP-N 2 (0.5), GP-LW 4 (0.25), plus a
    repeat LW->GP 3 that must merge into GP-LW with the larger weight 4,
    N-LW 1 (1.0), LW-V 2 (0.5), V-O2 5 (0.2), GP-O1 3 (1/3), LW-P1 3 and
    P2->LW 2 (one tie LW-PATIENTS of weight 5, distance 0.2, two site ties),
    P1-P2 1 (inside the patients node: gone).
    """
    people = [("T-LW", "link_worker", "link_worker"), ("T-GP", "health_professional", "gp"),
              ("T-N", "health_professional", "nurse"), ("T-V", "voluntary_sector", "vcse_worker"),
              ("T-P1", "patient", "patient"), ("T-P2", "patient", "patient")]
    ties = [("T-GP", "T-N", 2), ("T-GP", "T-LW", 4), ("T-LW", "T-GP", 3), ("T-N", "T-LW", 1),
            ("T-LW", "T-V", 2), ("T-V", "T-O2", 5), ("T-GP", "T-O1", 3), ("T-LW", "T-P1", 3),
            ("T-P2", "T-LW", 2), ("T-P1", "T-P2", 1)]
    return toy_dataset(
        sites={"site_id": ["T"]},
        participants={"participant_id": [p[0] for p in people], "site_id": "T",
                      "group": [p[1] for p in people], "role": [p[2] for p in people]},
        organisations={"org_id": ["T-O1", "T-O2"], "site_id": "T", "org_type": ["general_practice", "vcse"],
                       "label": ["Practice", "Group"]},
        connections={"site_id": "T", "source_id": [t[0] for t in ties], "target_id": [t[1] for t in ties],
                     "relation": "works_with", "weight": [t[2] for t in ties]},
    )


def test_toy_graph_folds_patients_and_repeated_ties():
    graph = N.site_graph(toy_site())
    assert sorted(graph) == ["T-GP", "T-LW", "T-N", "T-O1", "T-O2", "T-PATIENTS", "T-V"]
    assert graph.edges["T-GP", "T-LW"]["weight"] == 4
    assert graph.edges["T-LW", "T-PATIENTS"]["weight"] == 5 and graph.edges["T-LW", "T-PATIENTS"]["n_ties"] == 2
    assert graph.number_of_edges() == 7  # the patient-patient tie disappeared into the patients node
    assert nx.density(graph) == pytest.approx(7 / 21)


def test_measures_on_hand_worked_graph():
    # N-LW directly costs 1.0 but N-GP-LW only 0.5 + 0.25, so every shortest
    # path from N runs through GP: the shortest paths form the tree
    # N-GP, O1-GP, GP-LW, LW-V, V-O2, LW-PATIENTS. Unordered pairs through
    # GP: N-O1 and {N, O1} x {LW, V, O2, PATIENTS} = 9; through LW:
    # {GP, N, O1} x {V, O2, PATIENTS} + {V, O2} x {PATIENTS} = 11; through V:
    # O2 with each of the other 5 = 5. Normalised by (7-1)(7-2)/2 = 15.
    metrics = N.node_metrics(N.site_graph(toy_site())).set_index("node_id")
    assert list(metrics.columns) == N.METRIC_COLUMNS[:1] + N.METRIC_COLUMNS[2:]
    expected = {  # degree, weighted degree, betweenness
        "T-LW": (4, 4 + 1 + 2 + 5, 11 / 15), "T-GP": (3, 2 + 4 + 3, 9 / 15), "T-N": (2, 3, 0),
        "T-V": (2, 7, 5 / 15), "T-O1": (1, 3, 0), "T-O2": (1, 5, 0), "T-PATIENTS": (1, 5, 0),
    }
    for node, (degree, weighted, between) in expected.items():
        assert metrics.at[node, "degree"] == degree
        assert metrics.at[node, "weighted_degree"] == weighted
        assert metrics.at[node, "betweenness"] == pytest.approx(between)
    assert metrics.at["T-PATIENTS", "node_type"] == "patients"
    assert metrics.at["T-O1", "node_type"] == "practice_organisation"


def test_gould_fernandez_roles_on_hand_worked_network():
    # Groups: P1, P2, P3 practice; L link worker; V1, V2 voluntary; C council.
    # Ties: L-P1, L-P2, L-V1, L-V2, L-C, P1-P2, P1-P3.
    # L's neighbours P1, P2, V1, V2, C give 10 pairs; P1-P2 are tied, so 9 are
    # brokered: V1-V2 (same group, not L's) = itinerant; the other 8 join three
    # different groups = liaison, of which P1-V1, P1-V2, P2-V1, P2-V2 join
    # practice to voluntary. P1's neighbours L, P2, P3: L-P2 tied; P2-P3 all
    # practice = coordinator; L-P3 (P1 shares P3's group) = gatekeeper/representative.
    # P2 (neighbours L, P1, tied) and every leaf broker nothing.
    graph = nx.Graph()
    sides = {"P1": "practice", "P2": "practice", "P3": "practice", "L": "link_worker",
             "V1": "voluntary", "V2": "voluntary", "C": "council"}
    for node, side in sides.items():
        graph.add_node(node, side=side)
    graph.add_edges_from([("L", "P1"), ("L", "P2"), ("L", "V1"), ("L", "V2"), ("L", "C"), ("P1", "P2"), ("P1", "P3")])
    roles = N.brokerage(graph)
    assert roles.loc["L"].to_dict() == {"coordinator": 0, "itinerant": 1, "gatekeeper_representative": 0,
                                        "liaison": 8, "practice_voluntary": 4, "total": 9}
    assert roles.loc["P1"].to_dict() == {"coordinator": 1, "itinerant": 0, "gatekeeper_representative": 1,
                                         "liaison": 0, "practice_voluntary": 0, "total": 2}
    assert (roles.drop(index=["L", "P1"]) == 0).all().all()


def test_link_worker_summary_on_toy_site():
    graph = N.site_graph(toy_site())
    metrics, roles = N.node_metrics(graph), N.brokerage(graph)
    lw = N.link_worker_summary(graph, metrics, roles).iloc[0]
    # LW's ties: GP and N (practice), V and PATIENTS (outside). Open pairs:
    # GP-V, N-V (practice-voluntary, both brokered), GP-PAT, N-PAT, V-PAT; GP-N are tied.
    assert (lw.practice_ties, lw.outside_ties, lw.practice_share) == (2, 2, 0.5)
    assert lw.practice_mean_weight == (4 + 1) / 2
    assert (lw.practice_voluntary, lw.pv_pairs, lw.brokerage_total) == (2, 2, 5)
    assert lw.betweenness_rank == 1


@pytest.fixture(scope="module")
def embedded():
    dataset = load_dataset(EMBEDDED)
    return dataset, [N.site_graph(dataset.for_site(s)) for s in dataset.site_ids]


def test_no_individual_patient_anywhere(embedded):
    dataset, graphs = embedded
    patient_ids = set(dataset.patients["participant_id"])
    pooled = N.type_graph(graphs)
    for graph in graphs:
        site_id = graph.graph["site_id"]
        metrics, roles = N.node_metrics(graph), N.brokerage(graph)
        labels = {d["label"] for _, d in graph.nodes(data=True)}
        assert not patient_ids & (set(graph) | set(metrics["node_id"]) | set(roles.index) | set(N.network_layout(graph)))
        assert not any(pid in label for pid in patient_ids for label in labels)
        assert (metrics["node_type"] == "patients").sum() == 1
        n_patients = int((dataset.patients["site_id"] == site_id).sum())
        link_worker = metrics.loc[metrics["node_type"] == "link_worker", "node_id"].iloc[0]
        assert graph.edges[link_worker, N.patients_node(site_id)]["n_ties"] == n_patients
    assert not patient_ids & set(N.node_metrics(pooled, N.POOLED)["node_id"])


def test_degrees_match_a_plain_count_of_connections_csv(embedded):
    """Degree and weighted degree recomputed from the raw CSV files with pandas alone."""
    _, graphs = embedded
    people = pd.read_csv(EMBEDDED / "participants.csv")
    patients = people.loc[people["group"] == "patient", ["participant_id", "site_id"]]
    fold = dict(zip(patients["participant_id"], patients["site_id"] + "-PATIENTS"))
    ties = pd.read_csv(EMBEDDED / "connections.csv")
    a, b = ties[["source_id", "target_id"]].min(axis=1), ties[["source_id", "target_id"]].max(axis=1)
    ties = ties.assign(a=a, b=b).groupby(["site_id", "a", "b"], as_index=False)["weight"].max()
    ties["a"], ties["b"] = ties["a"].replace(fold), ties["b"].replace(fold)
    ties = ties[ties["a"] != ties["b"]]
    ends = pd.concat([ties.rename(columns={"a": "node", "b": "other"}), ties.rename(columns={"b": "node", "a": "other"})])
    expected = ends.groupby("node").agg(degree=("other", "nunique"), weighted_degree=("weight", "sum"))
    published = pd.concat([N.node_metrics(g) for g in graphs]).set_index("node_id")
    tied = published.loc[expected.index]
    assert (tied["degree"] == expected["degree"]).all()
    assert (tied["weighted_degree"] == expected["weighted_degree"]).all()
    assert (published.drop(index=expected.index)["degree"] == 0).all()


RUN = """
import pickle, sys
from helpers.analysis import network as N
with open(sys.argv[1], "rb") as handle:
    dataset = pickle.load(handle)
graphs = [N.site_graph(dataset.for_site(s)) for s in dataset.site_ids]
parts = [N.node_metrics(g).to_csv() + N.brokerage(g).to_csv() + repr(sorted(N.network_layout(g).items())) for g in graphs]
parts.append(N.node_metrics(N.type_graph(graphs), N.POOLED).to_csv())
print("".join(parts))
"""


def test_identical_outputs_on_two_runs(tmp_path, embedded):
    """Two fresh interpreters with different hash seeds give the same metrics and positions."""
    data = tmp_path / "dataset.pickle"
    data.write_bytes(pickle.dumps(embedded[0]))
    runs = [subprocess.Popen([sys.executable, "-c", RUN, str(data)], stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONHASHSEED": seed}) for seed in ("1", "2")]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert all(run.returncode == 0 for run in runs)
    assert outputs[0] == outputs[1] and "S1-LW01" in outputs[0]


def test_drawings_render(embedded):
    import matplotlib.pyplot as plt

    _, graphs = embedded
    for graph in (graphs[0], N.type_graph(graphs)):
        fig = network_figure(graph)
        texts = [t.get_text() for t in fig.axes[0].texts]
        assert "Practice side" in texts and any("Link worker" in t for t in texts)
        plt.close(fig)


@pytest.fixture(scope="module")
def forty_sites(tmp_path_factory):
    directory = write_dataset(tmp_path_factory.mktemp("forty"), n_sites=40)
    truth = json.loads((directory / "truth.json").read_text())
    return load_dataset(directory), truth


def test_planted_facts_on_forty_sites(forty_sites):
    dataset, truth = forty_sites
    rows = []
    for site_id in dataset.site_ids:
        graph = N.site_graph(dataset.for_site(site_id))
        metrics, roles = N.node_metrics(graph), N.brokerage(graph)
        lw = N.link_worker_summary(graph, metrics, roles).iloc[0]
        others = metrics[metrics["node_id"] != lw.node_id]
        # the link worker is the bridge: the most between, the top broker
        assert lw.betweenness > others["betweenness"].max(), site_id
        assert lw.brokerage_total > roles.drop(index=lw.node_id)["total"].max(), site_id
        assert lw.practice_voluntary > roles.drop(index=lw.node_id)["practice_voluntary"].max(), site_id
        planted = truth["sites"][site_id]
        assert lw.practice_ties == planted["lw_practice_ties"], site_id
        rows.append({"level": planted["embeddedness"], "ties": lw.practice_ties, "weight": lw.practice_mean_weight})
    means = pd.DataFrame(rows).groupby("level").mean().loc[["bolted_on", "fitting_in", "belonging"]]
    assert means["ties"].is_monotonic_increasing and means["ties"].is_unique
    assert means["weight"].is_monotonic_increasing and means["weight"].is_unique


def test_association_is_worded_from_the_data():
    from helpers.report.network_tables import association_phrase

    table = pd.DataFrame({"score": [-0.8, 0.0, 0.7, float("nan")], "practice_ties": [9, 5, 2, 4]})
    assert "fewer ties" in association_phrase(table) and "-1.00" in association_phrase(table)
    assert "more ties" in association_phrase(table.assign(practice_ties=[2, 5, 9, 4]))
    assert "no rank correlation" in association_phrase(table.iloc[:2])


# --- robust communities, brokerage null, direction, Burt's measures ----------------------------------

def _two_cliques() -> nx.Graph:
    graph = nx.Graph(site_id="X")
    left, right = [f"a{i}" for i in range(5)], [f"b{i}" for i in range(5)]
    for group in (left, right):
        graph.add_edges_from(((u, v) for i, u in enumerate(group) for v in group[i + 1:]), weight=3.0)
    graph.add_edge("a0", "b0", weight=1.0)
    return graph


def test_consensus_of_two_cliques_is_the_cliques_in_every_run():
    found = N.consensus_communities(_two_cliques(), runs=30)
    assert found["frequency"] == 1.0 and found["n_partitions"] == 1
    groups = {}
    for node, number in found["community"].items():
        groups.setdefault(number, set()).add(node)
    assert sorted(map(sorted, groups.values())) == [[f"a{i}" for i in range(5)], [f"b{i}" for i in range(5)]]
    assert set(found["stability"].values()) == {1.0}


def test_consensus_recomputed_over_seeds_for_the_embedded_sites(embedded):
    from collections import Counter
    dataset, _ = embedded
    for site_id in ("S2", "S3"):
        graph = N.site_graph(dataset.for_site(site_id))
        found = N.consensus_communities(graph, runs=100)
        partitions = [frozenset(frozenset(g) for g in nx.community.louvain_communities(graph, weight="weight",
                                                                                        seed=N.SEED + run))
                      for run in range(100)]
        nodes = sorted(graph)
        together = pd.DataFrame(0.0, index=nodes, columns=nodes)
        for partition in partitions:
            for group in partition:
                together.loc[sorted(group), sorted(group)] += 1 / 100
        pd.testing.assert_frame_equal(found["coassignment"], together, check_exact=False, atol=1e-12)
        assert found["n_partitions"] == len(set(partitions))
        consensus = frozenset(frozenset(n for n in nodes if found["community"][n] == c)
                              for c in set(found["community"].values()))
        assert found["frequency"] == pytest.approx(Counter(partitions)[consensus] / 100)
        for group in consensus:  # members of one consensus group are together in more than half the runs
            members = sorted(group)
            if len(members) > 1:
                assert together.loc[members, members].to_numpy().max() > 0.5
        metrics = N.node_metrics(graph, consensus=found).set_index("node_id")
        assert metrics["community_stability"].between(0, 1).all()


def test_constraint_and_effective_size_of_a_star():
    # Burt: a centre with k unconnected contacts of equal weight has constraint k * (1/k)^2 = 1/k and
    # effective size k; each leaf, tied only to the centre, has constraint 1 and effective size 1.
    graph = nx.star_graph(4)
    nx.relabel_nodes(graph, {i: f"n{i}" for i in range(5)}, copy=False)
    for node in graph:
        graph.nodes[node].update(node_type="vcse_worker", side="voluntary", label=node)
    nx.set_edge_attributes(graph, 2.0, "weight")
    nx.set_edge_attributes(graph, 0.5, "distance")
    graph.graph["site_id"] = "X"
    metrics = N.node_metrics(graph).set_index("node_id")
    assert metrics.at["n0", "constraint"] == pytest.approx(1 / 4)
    assert metrics.at["n0", "effective_size"] == pytest.approx(4)
    assert metrics.at["n1", "constraint"] == pytest.approx(1.0)


def test_brokerage_null_agrees_with_exhaustive_enumeration_of_labellings():
    from itertools import permutations
    graph = nx.Graph()
    sides = {"b": "practice", "a1": "practice", "a2": "voluntary", "a3": "voluntary", "a4": "council"}
    for node, side in sides.items():
        graph.add_node(node, side=side)
    graph.add_edges_from([("b", "a1"), ("b", "a2"), ("b", "a3"), ("b", "a4"), ("a1", "a2")])
    null = N.brokerage_null(graph, permutations=20000, seed=3).set_index(["node_id", "role"])
    observed = N.brokerage(graph)
    nodes = list(graph.nodes)
    labels = [sides[n] for n in nodes]
    totals = {role: [] for role in N.BROKERAGE_ROLES}
    for perm in set(permutations(labels)):
        relabelled = graph.copy()
        nx.set_node_attributes(relabelled, dict(zip(nodes, perm)), "side")
        roles = N.brokerage(relabelled)
        for role in totals:
            totals[role].append(roles.at["b", role])
    for role, values in totals.items():
        row = null.loc[("b", role)]
        assert row["observed"] == observed.at["b", role]
        assert row["null_mean"] == pytest.approx(sum(values) / len(values), abs=0.03)
        if row["null_sd"] > 0:
            assert row["z"] == pytest.approx((row["observed"] - row["null_mean"]) / row["null_sd"])
    assert null.loc[("b", "total"), "null_sd"] == 0 and pd.isna(null.loc[("b", "total"), "z"])


def test_directed_roles_on_a_hand_worked_digraph():
    graph = nx.DiGraph()
    for node, side in {"gp": "practice", "lw": "link_worker", "v": "voluntary", "v2": "voluntary",
                       "n": "practice"}.items():
        graph.add_node(node, side=side)
    # gp -> lw -> v and gp -> lw -> v2: two liaisons (three groups, gp has no tie to either).
    # lw -> v2 -> v is not brokered (lw -> v exists). n -> gp -> lw: gp shares n's group, not lw's:
    # representative.
    graph.add_edges_from([("gp", "lw"), ("lw", "v"), ("lw", "v2"), ("v2", "v"), ("v", "v2"), ("n", "gp")])
    roles = N.directed_brokerage(graph)
    assert roles.loc["lw"].to_dict() == {"coordinator": 0, "itinerant": 0, "gatekeeper": 0, "representative": 0,
                                         "liaison": 2, "total": 2}
    assert roles.loc["gp", "representative"] == 1 and roles.loc["gp", "total"] == 1
    assert roles.loc["v2", "total"] == 0


def test_refers_to_ties_keep_their_direction(embedded):
    site = embedded[0].for_site("S1")
    graph = N.directed_graph(site)
    refers = site.connections[site.connections["relation"] == "refers_to"]
    other = site.connections[site.connections["relation"] != "refers_to"]
    pairs = set(zip(other["source_id"], other["target_id"])) | set(zip(other["target_id"], other["source_id"]))
    for tie in refers.itertuples():
        assert graph.has_edge(tie.source_id, tie.target_id)
        if (tie.target_id, tie.source_id) not in pairs and (tie.target_id, tie.source_id) not in set(
                zip(refers["source_id"], refers["target_id"])):
            assert not graph.has_edge(tie.target_id, tie.source_id)
    assert not any(graph.has_edge(n, m) for n in graph for m in graph if n.endswith("-PT01") or m.endswith("-PT01"))
