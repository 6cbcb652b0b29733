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
        page_policy = policy if site == "ALL" else policy.of_site_job(site)  # as a site job receives it
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
    assert "S1-HP01" not in labels and labels["S1-GROUP-PRACTICE"] == "Practice-side staff, merged"
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


# --- The GP figures, the trajectory, the mixed models and the attrition table under the same withheld set ---

from helpers.analysis.gp_change import change_rows, pooled_rows, site_estimates
from helpers.analysis.gp_contacts import monthly_trajectory, summarise_windows, window_counts, window_coverage
from helpers.analysis.rules import GP_WINDOW_MONTHS as W
from helpers.analysis.synthesis import attrition, change_by_site_characteristic, patient_changes
from helpers.report.phrases import gp_change_phrase, gp_coverage_phrase
from helpers.report.tables import attrition_table, gp_change_table, gp_coverage_table, gp_summary_table, models_table
from helpers.report.withheld import protect_attrition, protect_models, protect_pooled_change, protect_trajectory


@pytest.fixture(scope="module")
def cut_site(tmp_path_factory):
    """The issue's attack: one site cut to 3 patients, 1 of them with both questionnaire waves (the two
    others keep their follow-up interview but lose their follow-up answers)."""
    data = write_dataset(tmp_path_factory.mktemp("cut"), n_sites=4, seed=7)
    read = lambda name: pd.read_csv(data / f"{name}.csv", dtype=str, keep_default_na=False)
    people, q = read("participants"), read("questionnaires")
    site = people["site_id"].iloc[0]
    patients = people[(people["site_id"] == site) & (people["group"] == "patient")]["participant_id"]
    waves = q[q["participant_id"].isin(patients)].groupby("participant_id")["wave"].nunique()
    both = list(waves[waves == 2].index)
    kept = both[:3]
    gone = set(patients) - set(kept)
    tables = {}
    for name in ("participants", "interviews", "questionnaires", "gp_contacts", "segments", "connections"):
        frame = read(name)
        ids = [c for c in ("participant_id", "source_id", "target_id") if c in frame]
        tables[name] = frame[~frame[ids].isin(gone).any(axis=1)]
    q = tables["questionnaires"]
    tables["questionnaires"] = q[~(q["participant_id"].isin(kept[1:]) & (q["wave"] == "2"))]
    segments = set(tables["segments"]["segment_id"])
    for name in ("codings", "cmoc_evidence"):
        frame = read(name)
        tables[name] = frame[frame["segment_id"].isin(segments)]
    for name, frame in tables.items():
        frame.to_csv(data / f"{name}.csv", index=False, lineterminator="\n")
    dataset = load_dataset(data)
    return dataset, site, replace(POLICY, withheld=withheld_cells(dataset, POLICY))


def _numbers(styler, name: str) -> list:
    return [v if isinstance(v, str) else int(v) for v in _column(styler, name)]


def published_gp(dataset, policy):
    """Every GP figure one build publishes: site -> {what: value}, plus 'ALL', and the trajectories' months."""
    extract = dict(extract_start=dataset.metadata.gp_extract_start, extract_end=dataset.metadata.gp_extract_end)
    people = dataset.participants
    shown, months = {}, {}
    estimates = []
    for site in dataset.site_ids:
        page, mine = policy.of_site_job(site), people[people["site_id"] == site]
        counts = window_counts(dataset.gp_contacts, mine, W, **extract)
        summary = summarise_windows(counts, site, W)
        change = change_rows(site_estimates(dataset.gp_contacts, mine, W, **extract), site, W)
        estimates.append(site_estimates(dataset.gp_contacts, mine, W, **extract).assign(site_id=site))
        coverage = window_coverage(dataset.gp_contacts, mine, W, **extract)
        shown[site] = {
            "summary n": _numbers(gp_summary_table(summary, page), "patients")[0],
            "summary mean before": _column(gp_summary_table(summary, page), "mean before")[0],
            "change n": _numbers(gp_change_table(change, page, W), "patients")[0],  # the window comparison
            "compared": _numbers(gp_coverage_table(coverage, page), "compared")[0],
            "coverage phrase": gp_coverage_phrase(coverage, page),
            "level phrase": gp_change_phrase(change, "level_change", page),
        }
        months[site] = protect_trajectory(monthly_trajectory(dataset.gp_contacts, mine, 12, 12, **extract), page)
    counts = window_counts(dataset.gp_contacts, people, W, **extract)
    by_site = pd.concat([summarise_windows(counts[counts["site_id"] == s], s, W, wilcoxon=False)
                         for s in dataset.site_ids] + [summarise_windows(counts, "ALL", W)], ignore_index=True)
    synthesis = gp_summary_table(by_site, policy)
    for site, n in zip(by_site["site_id"], _numbers(synthesis, "patients")):
        shown.setdefault(site, {})["synthesis n"] = n
    coverage = window_coverage(dataset.gp_contacts, people, W, **extract)
    for site, n in zip(coverage["site_id"], _numbers(gp_coverage_table(coverage, policy), "compared")):
        shown[site]["synthesis compared"] = n
    estimates = pd.concat(estimates, ignore_index=True)
    pooled = protect_pooled_change(pooled_rows(estimates), estimates, policy)
    shown["ALL"]["pooled change n"] = _numbers(gp_change_table(pooled, policy, W), "patients")
    months["ALL"] = protect_trajectory(monthly_trajectory(dataset.gp_contacts, people, 12, 12, **extract), policy)
    return shown, months


def test_no_gp_figure_gives_back_the_cut_sites_patients(cut_site):
    dataset, site, policy = cut_site
    shown, _ = published_gp(dataset, policy)
    known = {s: {v for k, v in shown[s].items() if k.endswith(("n", "compared")) and not isinstance(v, str)}
             for s in dataset.site_ids}
    assert not known[site]  # the cut site's count appears nowhere
    assert all(len(v) <= 1 for v in known.values())  # and no two places disagree
    hidden = [s for s in dataset.site_ids if not known[s]]
    total = shown["ALL"]["synthesis n"]
    assert len(hidden) >= 2 and total - sum(min(v) for v in known.values() if v) >= 2 * policy.threshold - 1
    for s in hidden:  # a withheld site's phrases give no figure either
        assert "withheld" in shown[s]["coverage phrase"] and "not shown" in shown[s]["level phrase"]
        assert shown[s]["summary mean before"] == SUPPRESSED


def test_no_trajectory_month_gives_back_a_withheld_site(cut_site):
    """A withheld site's months before referral add up to its before-window: none is published; in every
    month the sites left out hold at least 2 x threshold - 1 patients, or the pooled month is left out too."""
    dataset, site, policy = cut_site
    shown, months = published_gp(dataset, policy)
    withheld = [s for s in dataset.site_ids if shown[s]["summary n"] == SUPPRESSED]
    assert site in withheld and len(withheld) >= 2
    for s in withheld:
        assert months[s]["mean_contacts"].isna().all(), s
    for k in months["ALL"]["month"]:
        row = lambda s: months[s].set_index("month").loc[k]
        left_out = [s for s in dataset.site_ids if pd.isna(row(s)["mean_contacts"]) and row(s)["n_patients"] > 0]
        if pd.notna(row("ALL")["mean_contacts"]) and left_out:
            assert len(left_out) >= 2 and sum(row(s)["n_patients"] for s in left_out) >= 2 * policy.threshold - 1


def test_a_month_with_too_few_patients_is_not_published_for_a_site():
    trajectory = pd.DataFrame({"month": [-2, -1, 1, 2], "n_patients": [5, 4, 7, 0],
                               "n_contacts": [10, 8, 7, 0], "mean_contacts": [2.0, 2.0, 1.0, float("nan")]})
    out = protect_trajectory(trajectory, POLICY.at("S1"))
    assert out["mean_contacts"].isna().tolist() == [False, True, False, True]
    withheld = protect_trajectory(trajectory, replace(POLICY, withheld=(("gp_month:1", "S1"),)).at("S1"))
    assert withheld["mean_contacts"].isna().tolist() == [False, True, True, True]


def test_a_mixed_model_does_not_single_out_a_withheld_site():
    """Employer splits the sites: one site with a single pair (withheld, with its complement B) is the only
    VCSE site but one, so the employer estimate is, in effect, that level's mean: not shown."""
    rows = []
    for site, n, shift in (("A", 1, 3.0), ("B", 8, 0.0), ("C", 9, 0.5), ("D", 9, 0.2), ("E", 7, 1.0)):
        for i in range(n):
            rows.append({"participant_id": f"{site}{i}", "measure": "ons_happy", "site_id": site,
                         "wave1": 5 + i % 3, "wave2": 5 + i % 3 + shift + (i % 2) * 0.5})
    changes = pd.DataFrame(rows)
    changes["change"] = changes["wave2"] - changes["wave1"]
    covariates = pd.DataFrame({"employer": [1, 0, 1, 0, 0], "imd_quintile": [1, 1, 2, 2, 3],
                               "embeddedness": [0, 0, 1, 1, 2], "position": "x"}, index=list("ABCDE"))
    models = change_by_site_characteristic(changes, covariates)
    models = models[models["measure"] == "ons_happy"]
    policy = replace(POLICY, withheld=(("pairs:ons_happy", "A"), ("pairs:ons_happy", "B")))
    safe = protect_models(models, changes, covariates, policy).set_index("covariate")
    assert safe.at["employer", "estimate"] == SUPPRESSED  # A alone among the withheld in the VCSE level
    assert safe.at["imd_quintile", "estimate"] != SUPPRESSED  # A and B together in quintile 1: 9 patients
    assert safe.at["embeddedness", "estimate"] != SUPPRESSED
    table = models_table(safe.reset_index(), policy).data
    assert (table["difference at follow-up, adjusted for baseline"] == SUPPRESSED).sum() == 1


def test_attrition_does_not_give_back_the_few_followed_up_without_an_answer(cut_site):
    """The cut site's two patients were interviewed at follow-up but gave no answers: the attrition table's
    followed-up group minus the pooled pairs would be them (count and mean baseline)."""
    dataset, site, policy = cut_site
    all_scores = scores(dataset.questionnaires)
    pooled = paired_outcomes(all_scores, "ALL", tests=False)
    lost = attrition(all_scores, dataset.interviews, dataset.patients["participant_id"])
    followed = _column(attrition_table(protect_attrition(lost, pooled, policy), policy), "followed up: n")
    pairs = pooled.set_index("measure")["n_pairs"]
    for (_, r), n_followed in zip(lost.iterrows(), followed):
        extra = r["n_followed_up"] - pairs[r["measure"]]
        if 0 < extra < policy.threshold:
            assert n_followed == SUPPRESSED
    assert SUPPRESSED in followed  # the planted two are there to be protected
