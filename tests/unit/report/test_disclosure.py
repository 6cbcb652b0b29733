"""Disclosure control across the pages of one build: complementary suppression stops a suppressed
cell being recovered by subtraction, HTML of published tables is escaped, small role groups and
participant ids do not reach the network labels."""

from __future__ import annotations

from dataclasses import replace

import networkx as nx
import pandas as pd
import pytest

from helpers.analysis.outcomes import paired_outcomes
from helpers.analysis.scoring import MEASURES, scores
from helpers.analysis.site_measures import measures_by_site
from helpers.data.dataset import load_dataset
from helpers.report.disclosure import SUPPRESSED, Policy, complementary_cells, publish
from helpers.report.network_disclosure import published_network
from helpers.report.phrases import change_phrase
from helpers.report.tables import outcomes_table, participants_table
from helpers.report.withheld import protect_site_changes, withheld_cells
from helpers.synth import write_dataset

POLICY = Policy(threshold=5)


@pytest.mark.parametrize("counts,withheld", [
    ({"A": 3, "B": 9, "C": 6, "D": 12}, {"A", "C"}),  # 3 + 6 = 9 people: enough
    ({"A": 1, "B": 5, "C": 20}, {"A", "B", "C"}),  # 1 + 5 = 6 is not: the next smallest too
    ({"A": 2, "B": 4, "C": 7, "D": 30}, {"A", "B", "C"}),  # two primaries, 6 people: one more
    ({"A": 0, "B": 6, "C": 7}, set()),  # zero is no person: nothing to protect
    ({"A": 5, "B": 6}, set()),
])
def test_complementary_cells_by_hand(counts, withheld):
    assert complementary_cells(counts, POLICY) == withheld


def test_no_suppressed_cell_is_left_alone_in_its_line():
    for counts in ({"A": 1, "B": 50}, {"A": 4, "B": 4, "C": 100}, {"A": 2}):
        hidden = complementary_cells(counts, POLICY)
        assert len(hidden) >= 2 or hidden == set(counts)
        assert sum(counts[k] for k in hidden) >= 2 * POLICY.threshold - 1 or hidden == set(counts)


@pytest.fixture(scope="module")
def small_site(tmp_path_factory):
    """A synthetic dataset where one site has a single patient with both waves (others unchanged)."""
    data = write_dataset(tmp_path_factory.mktemp("data"), n_sites=4, seed=31)
    people = pd.read_csv(data / "participants.csv", dtype=str, keep_default_na=False)
    q = pd.read_csv(data / "questionnaires.csv", dtype=str, keep_default_na=False)
    site = people["site_id"].iloc[0]
    at_site = set(people.loc[people["site_id"] == site, "participant_id"])
    both = q[q["participant_id"].isin(at_site)].groupby("participant_id")["wave"].nunique()
    keep = both[both == 2].index[0]
    drop = q["participant_id"].isin(at_site - {keep}) & (q["wave"] == "2")
    q[~drop].to_csv(data / "questionnaires.csv", index=False, lineterminator="\n")
    dataset = load_dataset(data)
    return dataset, site, replace(POLICY, withheld=withheld_cells(dataset, POLICY))


def published_rows(dataset, policy):
    """What the site pages and the synthesis publish of outcomes: (site, measure) -> (n, mean_diff)."""
    long = scores(dataset.questionnaires).merge(dataset.participants[["participant_id", "site_id"]])
    shown = {}
    for site in [*dataset.site_ids, "ALL"]:
        rows = long if site == "ALL" else long[long["site_id"] == site]
        page_policy = policy if site == "ALL" else policy.at(site)
        styler = outcomes_table(paired_outcomes(rows, site, tests=False), page_policy)
        pairs, change = (_column(styler, name) for name in ("pairs", "change"))
        for i, measure in enumerate(MEASURES):
            shown[site, measure] = (pairs[i], change[i])
    return shown


def _column(styler, name: str) -> list:
    """A column of a reader table; a column the same in every row is a note under the table."""
    if name in styler.data.columns:
        return list(styler.data[name])
    note = next(n for n in (styler.caption or "").split("In every row, ")[1:] if n.startswith(f"{name}: "))
    value = note.removeprefix(f"{name}: ").split(".")[0]
    return [int(value) if value.isdigit() else value] * len(styler.data)


def test_subtracting_the_other_sites_from_the_pooled_row_gives_no_small_group(small_site):
    dataset, site, policy = small_site
    shown = published_rows(dataset, policy)
    true_n = paired_outcomes(scores(dataset.for_site(site).questionnaires), site, tests=False)
    measures = list(true_n.loc[true_n["n_pairs"] == 1, "measure"])
    assert measures  # the planted single pair
    for measure in measures:
        pooled_n, _ = shown["ALL", measure]
        published = [shown[s, measure][0] for s in dataset.site_ids if shown[s, measure][0] != SUPPRESSED]
        assert shown[site, measure] == (SUPPRESSED, SUPPRESSED)
        hidden = [s for s in dataset.site_ids if shown[s, measure][0] == SUPPRESSED]
        assert len(hidden) >= 2  # the single patient is never alone in what subtraction leaves
        assert pooled_n - sum(published) >= 2 * policy.threshold - 1


def test_every_page_withholds_the_same_site(small_site):
    dataset, site, policy = small_site
    row = paired_outcomes(scores(dataset.for_site(site).questionnaires), site, tests=False).iloc[0]
    assert change_phrase(row, policy.at(site)).startswith("is not shown")
    measures = protect_site_changes(measures_by_site(dataset), policy)
    hidden = {s for s in dataset.site_ids if pd.isna(measures.at[s, "change_ons_life_satisfaction"])}
    shown = published_rows(dataset, policy)
    assert hidden == {s for s in dataset.site_ids if shown[s, "ons_life_satisfaction"][0] == SUPPRESSED}
    assert site in hidden


def test_a_lone_role_cannot_be_recovered_from_the_sites_professionals():
    by_role = pd.DataFrame({"participants": [1, 9, 8, 12, 9]}, index=pd.MultiIndex.from_tuples(
        [("Health professional", "receptionist"), ("Health professional", "gp"), ("Health professional", "nurse"),
         ("Voluntary sector", "vcse_worker"), ("Patient", "patient")], names=["group", "role"]))
    shown = participants_table(by_role, POLICY.at("S1")).data["participants"].tolist()
    assert shown == [SUPPRESSED, 9, SUPPRESSED, 12, 9]  # the nurses (8) join the receptionist: 9 people


def test_published_tables_escape_labels_and_cells():
    table = pd.DataFrame({"participants": [6], "note": ["<b>x</b>"]},
                         index=pd.Index(["<img src=x onerror=alert(1)>"], name="<i>role</i>"))
    html = publish(table, POLICY, counts=["participants"]).to_html()
    assert "<img" not in html and "<b>" not in html and "<i>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_network_labels_name_no_participant_and_no_small_role():
    graph = nx.Graph(site_id="S1")
    people = pd.DataFrame({"participant_id": ["S1-HP01", "S1-HP02", "S1-HP03", "S1-LW01", "S1-V1", "S1-V2"],
                           "group": ["health_professional"] * 3 + ["link_worker"] + ["voluntary_sector"] * 2,
                           "role": ["receptionist", "gp", "gp", "link_worker", "vcse_worker", "vcse_worker"]})
    types = ["practice_staff", "gp", "gp", "link_worker", "vcse_worker", "vcse_worker"]
    for pid, kind in zip(people["participant_id"], types):
        graph.add_node(pid, node_type=kind, label=f"whatever ({pid})")
    labels = nx.get_node_attributes(published_network(graph, people, Policy(threshold=2)), "label")
    # a lone receptionist, and the GPs with it (complementary): one merged node, no role named
    assert "S1-HP01" not in labels and labels["S1-GROUP-PRACTICE"] == "Practice-side professionals, merged"
    assert sorted([labels["S1-V1"], labels["S1-V2"]]) == ["VCSE worker 1", "VCSE worker 2"]
    assert labels["S1-LW01"] == "Link worker"
    assert not any("HP" in label or "S1" in label for label in labels.values())


def test_a_panel_whose_every_site_is_withheld_is_drawn_empty():
    import matplotlib.pyplot as plt

    from helpers.analysis.site_measures import spearman
    from helpers.report.realist_figures import association_figure

    table = pd.DataFrame({"embeddedness": [0.1, 0.5], "change_ons_happy": [float("nan")] * 2}, index=["S1", "S2"])
    fig = association_figure(table, "embeddedness", {"change_ons_happy": "Change"},
                             spearman(table, "embeddedness", ["change_ons_happy"]), "score")
    assert "0 sites" in fig.axes[0].get_title()
    plt.close(fig)
