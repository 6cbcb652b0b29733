"""Published networks single out no role group the policy would suppress: small roles are merged, the
merged groups are big enough, and every drawing and table agrees with the site's participants table."""

from __future__ import annotations

import io
import re
from pathlib import Path

import matplotlib.pyplot as plt
import networkx as nx
import pandas as pd
import pytest

from helpers.analysis import network as N
from helpers.analysis.site_context import participants_by_role
from helpers.data.dataset import Dataset, load_dataset
from helpers.report.disclosure import SUPPRESSED, Policy
from helpers.report.network_disclosure import published_network
from helpers.report.network_figures import network_figure
from helpers.report.network_tables import brokerage_null_table, brokerage_table, network_metrics_table
from helpers.report.tables import participants_table
from helpers.synth import write_dataset

POLICY = Policy(threshold=5)
GROUPS = set(N.GROUP_TYPES.values())


def hand_made_site() -> Dataset:
    """One receptionist and one well-being coach among 6 GPs, 7 nurses and 8 VCSE workers: the
    receptionist and the coach are suppressed, and the GPs and nurses with them (complementary:
    1 + 1 + 6 + 7 = 15 people), so the practice side is one merged group and only the VCSE
    workers are drawn one by one."""
    roles = ([("health_professional", "receptionist")] + [("health_professional", "health_wellbeing_coach")]
             + [("health_professional", "gp")] * 6 + [("health_professional", "nurse")] * 7
             + [("voluntary_sector", "vcse_worker")] * 8 + [("link_worker", "link_worker")]
             + [("patient", "patient")] * 6)
    ids = [f"H-P{i:02d}" for i in range(len(roles))]
    lw = ids[roles.index(("link_worker", "link_worker"))]
    ties = [(lw, pid, 1 + i % 5, "works_with") for i, pid in enumerate(ids) if pid != lw]
    ties += [(ids[0], "H-ORG1", 5, "works_with"), (ids[1], ids[22], 4, "refers_to"), (ids[0], ids[2], 2, "works_with"),
             (ids[1], "H-ORG2", 3, "works_with")]
    return Dataset(path=Path("hand-made"), metadata=None, tables={k: pd.DataFrame(v) for k, v in {
        "sites": {"site_id": ["H"]},
        "participants": {"participant_id": ids, "site_id": "H", "group": [g for g, _ in roles],
                         "role": [r for _, r in roles]},
        "organisations": {"org_id": ["H-ORG1", "H-ORG2"], "site_id": "H",
                          "org_type": ["general_practice", "vcse"], "label": ["Practice A", "Group B"]},
        "connections": {"site_id": "H", "source_id": [t[0] for t in ties], "target_id": [t[1] for t in ties],
                        "weight": [t[2] for t in ties], "relation": [t[3] for t in ties]},
    }.items()})


def svg_text(fig) -> str:
    """The text a reader (or a scraper) gets from the figure's SVG: its text elements, without markup."""
    buffer = io.StringIO()
    with plt.rc_context({"svg.fonttype": "none"}):  # text as text, as the book writes it
        fig.savefig(buffer, format="svg")
    plt.close(fig)
    return " ".join(re.sub(r"<[^>]+>", " ", buffer.getvalue()).split())


def published_role_counts(participants: pd.DataFrame, policy: Policy, site: str) -> dict:
    """role -> the count the site's participants table publishes (SUPPRESSED where it does not)."""
    by_role = participants_by_role(participants)
    table = participants_table(by_role, policy.at(site)).data  # the reader's table, rows in by_role's order
    return {role: n for (_, role), n in zip(by_role.index, table["participants"])}


@pytest.fixture(scope="module")
def hand_made():
    site = hand_made_site()
    return site, published_network(N.site_graph(site), site.participants, POLICY)


def test_the_lone_receptionist_and_coach_are_inside_a_merged_group(hand_made):
    site, graph = hand_made
    types = pd.Series(dict(graph.nodes(data="node_type")))
    assert sorted(types[types.isin(GROUPS)]) == ["practice_group"]  # the voluntary side has nothing to merge
    assert not (types.isin(["gp", "practice_staff"])).any()  # no practice-side person on their own
    assert (types == "vcse_worker").sum() == 8  # the published role: 8 people, 8 nodes
    assert set(dict(graph.nodes(data="label")).values()) >= {f"VCSE worker {i}" for i in range(1, 9)}
    shown = published_role_counts(site.participants, POLICY, "H")
    assert [shown[r] for r in ("receptionist", "health_wellbeing_coach", "gp", "nurse")] == [SUPPRESSED] * 4
    assert shown["vcse_worker"] == 8


def test_ties_to_merged_people_become_ties_of_the_group(hand_made):
    site, graph = hand_made
    group, lw = "H-GROUP-PRACTICE", "H-P23"
    # 15 practice-side people tied to the link worker with weights 1 + i % 5: the strongest is 5
    assert graph.edges[lw, group]["weight"] == 5 and graph.edges[lw, group]["n_ties"] == 1
    assert graph.edges[group, "H-ORG1"]["weight"] == 5  # the receptionist's tie
    assert graph.has_edge(group, "H-ORG2") and graph.has_edge(group, "H-P22")  # the coach's ties
    assert not graph.has_edge(group, group)  # the receptionist-GP tie is inside the group
    assert graph.number_of_nodes() == 1 + 8 + 1 + 1 + 2  # group, VCSE workers, link worker, patients, orgs


def test_drawing_and_tables_do_not_let_you_count_the_small_roles(hand_made):
    site, graph = hand_made
    words = svg_text(network_figure(graph))
    for hidden in ("Receptionist", "coach", "GP", "Nurse", "Other practice staff", "H-P"):
        assert hidden not in words, hidden
    assert "Practice-side staff, merged" in words and "VCSE worker 8" in words
    metrics = N.node_metrics(graph)
    roles = N.brokerage(graph)
    null = N.brokerage_null(graph, permutations=20)
    tables = [network_metrics_table(graph, metrics), brokerage_table(graph, roles, top=50),
              brokerage_null_table(graph, null, list(graph)),
              N.directed_brokerage(published_network(N.directed_graph(site), site.participants, POLICY))
              .rename(index=lambda n: graph.nodes[n]["label"])]
    for table in tables:
        text = table.to_csv()
        assert "H-P" not in text and "Receptionist" not in text and "coach" not in text
    types = metrics["node_type"].value_counts()
    assert types.get("gp", 0) == types.get("practice_staff", 0) == 0 and types["practice_group"] == 1


def test_a_small_merged_side_joins_the_other_side_and_a_group_still_too_small_is_left_out():
    people = pd.DataFrame({"participant_id": [f"X-{i}" for i in range(8)], "site_id": "X",
                           "group": ["health_professional"] * 4 + ["voluntary_sector", "link_worker", "patient", "patient"],
                           "role": ["gp", "gp", "nurse", "receptionist", "vcse_manager", "link_worker", "patient",
                                    "patient"]})
    graph = nx.Graph(site_id="X")
    for pid in people["participant_id"][:6]:
        graph.add_node(pid, node_type="link_worker" if pid == "X-5" else "gp", side="practice", label=pid)
    graph.add_edges_from((("X-5", f"X-{i}", {"weight": 2, "n_ties": 1, "distance": 0.5}) for i in range(5)))
    # the practice side alone (4 people) and the lone VCSE manager are too few: one group of 5
    merged = published_network(graph, people, Policy(threshold=5))
    assert sorted(merged) == ["X-5", "X-GROUP-PROFESSIONALS"]
    assert merged.nodes["X-GROUP-PROFESSIONALS"]["node_type"] == "professional_group"
    # with a threshold of 6 even the five together are too few: not published at all
    left = published_network(graph, people, Policy(threshold=6))
    assert sorted(left) == ["X-5"] and left.graph["left_out"]


def test_a_rounded_count_is_not_drawn_person_by_person():
    """With counts rounded to 5, seven GPs would publish 5: seven GP nodes would tell the true count."""
    people = pd.DataFrame({"participant_id": [f"R-{i}" for i in range(15)], "site_id": "R",
                           "group": ["health_professional"] * 7 + ["voluntary_sector"] * 8,
                           "role": ["gp"] * 7 + ["vcse_worker"] * 5 + ["vcse_manager"] * 3})
    graph = nx.Graph(site_id="R")
    graph.add_nodes_from((pid, {"node_type": "gp", "side": "practice", "label": pid}) for pid in people["participant_id"])
    out = published_network(graph, people, Policy(threshold=3, round_to=5))
    labels = dict(out.nodes(data="label"))
    assert not any(label.startswith("GP") for label in labels.values())  # 7 rounds to 5: merged
    assert sum(label.startswith("VCSE worker") for label in labels.values()) == 5  # 5 is published as 5


@pytest.mark.parametrize("seed,n_sites,policy", [(3, 2, POLICY), (11, 3, POLICY), (29, 2, Policy(threshold=3)),
                                                 (47, 3, Policy(threshold=4, round_to=5))])
def test_no_published_role_group_smaller_than_the_threshold(tmp_path, seed, n_sites, policy):
    """Over synthetic datasets (`linkbook synth --seed S --sites N`): every person drawn on their own belongs
    to a role whose exact count the participants table publishes, every merged node holds at least the
    threshold of people of two roles, and the pooled map has no person type under the threshold."""
    dataset = load_dataset(write_dataset(tmp_path, n_sites=n_sites, seed=seed))
    graphs = []
    for site_id in dataset.site_ids:
        site = dataset.for_site(site_id)
        graph = published_network(N.site_graph(site), site.participants, policy)
        graphs.append(graph)
        shown = published_role_counts(site.participants, policy, site_id)
        role_of = site.participants.set_index("participant_id")["role"]
        group_of = site.participants.set_index("participant_id")["group"]
        drawn = pd.Series([role_of[n] for n in graph if n in role_of.index])
        for role, nodes in drawn.value_counts().items():
            assert role == "link_worker" or shown[role] == nodes, (site_id, role)
        hidden = site.participants[site.participants["group"].isin(["health_professional", "voluntary_sector"])
                                   & ~site.participants["participant_id"].isin(list(graph))]
        groups = [n for n, t in graph.nodes(data="node_type") if t in GROUPS]
        sizes = {"practice_group": hidden[hidden["group"] == "health_professional"],
                 "voluntary_group": hidden[hidden["group"] == "voluntary_sector"], "professional_group": hidden}
        for node in groups:
            members = sizes[graph.nodes[node]["node_type"]]
            assert len(members) >= policy.threshold and members["role"].nunique() >= 2, (site_id, node)
        assert len(groups) > 0 or hidden.empty or graph.graph["left_out"]
        labels = " ".join(dict(graph.nodes(data="label")).values())
        assert not any(pid in labels for pid in role_of.index)
        assert all(group_of[n] != "patient" for n in graph if n in group_of.index)
    pooled = N.type_graph(graphs)
    for node_type in ("gp", "practice_staff", "vcse_worker"):
        if node_type in pooled:
            people = sum(sum(1 for _, t in g.nodes(data="node_type") if t == node_type) for g in graphs)
            assert people >= policy.threshold, node_type


def test_the_disclosure_note_states_the_network_rule_with_the_policy_threshold():
    note = Policy(threshold=8).statement()
    assert "merged into one node per side (at least 8 people of two or more roles" in note
    assert "no participant identifier" in note and "{" not in note
