"""What readers meet first: the site chapter's title and context, the Summary's concept phrases and
verdict table, the plain-language phrases, numbered table captions, and CMOC statements split into
context, mechanism and outcome."""

from __future__ import annotations

import pandas as pd
import pytest

from support import EMBEDDED
from helpers.analysis import qualitative as Q, theory
from helpers.analysis.cmoc import verdicts
from helpers.analysis.embeddedness import embeddedness
from helpers.data.dataset import load_dataset
from helpers.report import realist_summary as summary
from helpers.report.disclosure import SUPPRESSED, Policy
from helpers.report.plain_language import plain_change_phrase, plain_gp_phrase
from helpers.report.site_summary import site_context_phrase, site_title_phrase
from helpers.report.table_html import captioned_table, reset_table_numbers
from helpers.report.tables import verdict_counts_phrase, verdicts_table


@pytest.fixture(scope="module")
def dataset():
    return load_dataset(EMBEDDED)


def test_site_titles_say_what_each_site_is(dataset):
    sites = pd.read_csv(EMBEDDED / "sites.csv").set_index("site_id")
    titles = {s: site_title_phrase(dataset.for_site(s).sites.iloc[0]) for s in dataset.site_ids}
    assert titles["S3"] == "Site S3: rural, VCSE-employed, IMD quintile 4"
    assert titles["S1"] == "Site S1: urban, primary-care-employed, IMD quintile 1"
    for site_id, title in titles.items():
        assert f"IMD quintile {sites.loc[site_id, 'imd_quintile']}" in title and sites.loc[site_id, "rurality"] in title
    context = site_context_phrase(dataset.for_site("S2").sites.iloc[0])
    assert "London" in context and "57,800" in context and "9 months" in context and "VCSE organisation" in context


def test_concept_phrases_state_the_range_across_sites(dataset):
    shares = Q.concept_shares(dataset)
    row = shares.loc["Micro-discretions (any)"]
    assert summary.concept_range_phrase(shares, "Micro-discretions") == (
        f"from {round(100 * row.min())}% of a site's segments ({row.idxmin()}) to {round(100 * row.max())}% "
        f"({row.idxmax()}), across 7 sites")
    table = Q.co_coded(dataset, Q.DISCRETION_DOMAINS, Q.DISCRETION_LIMITS, names=["a limit", "strain"])
    text = summary.discretion_summary_phrase(table)
    assert f"time spent with patients ({table['segments'].iloc[0]})" in text
    assert f"{table['also: a limit'].sum()} of these mentions are also coded with a limit" in text


def test_embeddedness_phrase_counts_the_sites_at_each_position(dataset):
    rows = embeddedness(dataset)
    text = summary.embeddedness_summary_phrase(rows)
    for position, label in (("bolted_on", "bolted on"), ("belonging", "belonging")):
        assert f"{(rows['position'] == position).sum()} " in text and label in text
    split = rows.loc[rows["split"], "site_id"].tolist()
    assert all(s in text for s in split)
    made_up = pd.DataFrame({"site_id": ["A", "B"], "position": ["belonging", "no evidence"], "split": [False, False]})
    assert summary.embeddedness_summary_phrase(made_up) == (
        "1 site reads as belonging; 1 cannot be placed (no segment coded with a level)")


def test_theory_phrase_counts_boxes_and_links_the_evaluation_added(dataset):
    graph = theory.build_graph(dataset)
    nodes = pd.read_csv(EMBEDDED / "programme_theory_nodes.csv")
    edges = pd.read_csv(EMBEDDED / "programme_theory_edges.csv")
    text = summary.theory_summary_phrase(graph)
    assert text.startswith(f"{graph.number_of_nodes()} boxes and {len(edges)} links")
    assert f"added {nodes['category'].str.startswith('new_').sum()} of the boxes" in text


def test_verdict_tables_give_context_mechanism_and_outcome_a_column_each(dataset):
    overall = verdicts(dataset, overall=True)
    ledger = verdicts_table(overall, dataset.cmocs, Policy(threshold=5))
    cmocs = dataset.cmocs.set_index("cmoc_id")
    for part in ("context", "mechanism", "outcome"):
        assert (ledger[part] == cmocs.loc[ledger.index, part]).all()
    compact = summary.verdict_summary_table(overall, dataset.cmocs, Policy(threshold=50))
    assert list(compact.columns[:3]) == ["mechanism", "outcome", "verdict"]
    assert (compact["people"] == SUPPRESSED).all()  # every CMOC rests on fewer than 50 people
    counts = verdict_counts_phrase(overall)
    assert counts.endswith(f"(of {len(overall)} CMOCs)")
    assert f"{(overall['verdict'] == 'confirmed').sum()} confirmed" in counts


def test_plain_phrases_say_whether_the_interval_excludes_no_change():
    row = pd.Series({"n_pairs": 40, "mean_wave1": 5.9, "mean_wave2": 6.3, "ci95_low": 0.05, "ci95_high": 0.75})
    assert "fairly sure it went up" in plain_change_phrase(row, Policy(threshold=5))
    assert "cannot be sure" in plain_change_phrase(row.copy().replace({0.05: -0.1}), Policy(threshold=5))
    assert "too few people" in plain_change_phrase(row, Policy(threshold=50))
    almost = plain_change_phrase(row.copy().replace({0.05: 0.0009}), Policy(threshold=5))
    assert "between just above 0 and +0.8" in almost
    gp = pd.DataFrame({"comparison": ["level_change"], "rate_ratio": [0.81], "ci95_low": [0.32],
                       "ci95_high": [2.07], "n_patients": [61]})
    text = plain_gp_phrase(gp, Policy(threshold=5))
    assert "about 19% fewer GP contacts" in text and "68% fewer to 107% more" in text
    assert "cannot say" in text


def test_tables_are_numbered_in_order_on_each_page_with_their_notes_kept():
    reset_table_numbers()
    first = captioned_table(pd.DataFrame({"a": [1, 2], "note": ["x", "x"]}), "First <table>").to_html()
    second = captioned_table(pd.DataFrame({"b": [3]}), "Second").to_html()
    assert "Table 1:</strong> First &lt;table&gt;" in first and "Notes: x" in first
    assert "Table 2:</strong> Second" in second
    reset_table_numbers()
    assert "Table 1:" in captioned_table(pd.DataFrame({"c": [1]}), "Again").to_html()
