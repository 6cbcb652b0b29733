"""Tables of the realist chapters: the ledger with protected counts, initial beside refined wording,
stance by context, the joint display under the disclosure policy, agreement, embeddedness; and the
CMOC dropdowns escaping data values."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from support import EMBEDDED
from helpers.analysis.agreement import coder_agreement
from helpers.analysis.cmoc import VERDICTS, contrast, refined_statements, verdicts, cmoc_evidence
from helpers.analysis.embeddedness import embeddedness
from helpers.analysis.joint_display import joint_display
from helpers.data.dataset import load_dataset
from helpers.report.disclosure import SUPPRESSED, Policy
from helpers.report.excerpts import cmoc_dropdowns
from helpers.report.tables import (agreement_table, contrast_table, embeddedness_distribution_table,
                                   joint_display_table, refinement_table, verdicts_table)


@pytest.fixture(scope="module")
def dataset():
    return load_dataset(EMBEDDED)


def test_ledger_table_protects_counts_of_people(dataset):
    rows = verdicts(dataset.for_site("S1"))
    table = verdicts_table(rows, dataset.cmocs, Policy(threshold=5))
    small = rows.set_index("cmoc_id")["n_people"].between(1, 4)
    assert (table.loc[small[small].index, "people"] == SUPPRESSED).all()
    assert list(table.columns[-2:]) == ["verdict", "refined"]


def test_refinement_table_sets_initial_beside_refined(dataset):
    table = refinement_table(refined_statements(dataset.cmocs), verdicts(dataset, overall=True))
    assert set(table.index.get_level_values("CMOC")) == {"CMOC03", "CMOC04", "CMOC09", "CMOC12"}
    row = table.loc[("CMOC04", "mechanism")]
    assert row["refined"] == "unchanged"
    cmoc04 = dataset.cmocs.set_index("cmoc_id").loc["CMOC04"]
    assert table.loc[("CMOC04", "context"), "initial"] == cmoc04["context"]
    assert table.loc[("CMOC04", "context"), "refined"] == cmoc04["refined_context"]


def test_contrast_table_rows_add_up_to_the_cmocs_evidence(dataset):
    table = contrast_table(contrast(dataset), "CMOC09")
    total = (dataset.cmoc_evidence["cmoc_id"] == "CMOC09").sum()
    employer = table.loc["employer"]
    assert employer[["supporting", "refuting", "refining"]].to_numpy().sum() == total
    assert employer["sites"].sum() == len(dataset.site_ids)


def test_joint_display_table_suppresses_small_groups(dataset):
    rows = joint_display(dataset)
    html = joint_display_table(rows, Policy(threshold=10), "S1").to_html()
    assert "disclosure-checked" in html
    site = rows[rows["site_id"] == "S1"]
    if (site["n_present"].between(1, 9) | site["n_absent"].between(1, 9)).any():
        assert SUPPRESSED in html
    pooled = joint_display_table(rows, Policy(threshold=5)).data
    assert len(pooled) == len(rows[rows["site_id"] == "ALL"])


def test_agreement_and_embeddedness_tables_read_the_rows(dataset):
    agreement = agreement_table(coder_agreement(dataset), dataset.codebook)
    assert agreement.index[0] == "all codes together"
    emb = embeddedness_distribution_table(embeddedness(dataset))
    assert emb.loc["S4", "position"] == "fitting in (split)"
    assert not emb.loc["S1", "position"].endswith("(split)")


def test_cmoc_dropdowns_escape_refined_wording_and_show_it(dataset):
    cmocs = dataset.cmocs.copy()
    cmocs.loc[cmocs["cmoc_id"] == "CMOC01", "refined_outcome"] = "<script>alert(1)</script>"
    data = replace(dataset, tables={**dataset.tables, "cmocs": cmocs})
    cited = cmoc_evidence(data).assign(label="x")
    html = cmoc_dropdowns(cited, cmocs, verdicts(data, overall=True), {})
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "As refined by the evidence" in html


def test_cmoc_evidence_of_many_sites_is_summarised_and_sampled_across_sites(tmp_path):
    """Beyond SITES_IN_DETAIL sites the synthesis counts verdicts and shows a bounded, spread
    sample of excerpts (each site's chapter has all of its own); up to it, everything."""
    from helpers.data.dataset import load_dataset
    from helpers.report import excerpts
    from helpers.report.scale import SITES_IN_DETAIL
    from helpers.synth import write_dataset

    data = load_dataset(write_dataset(tmp_path / "d", n_sites=SITES_IN_DETAIL + 2, seed=77))
    cited = cmoc_evidence(data).assign(label="x")
    by_site = verdicts(data)
    html = cmoc_dropdowns(cited, data.cmocs, verdicts(data, overall=True), {}, by_site=by_site)
    first = data.cmocs["cmoc_id"].iloc[0]
    mine = by_site[by_site["cmoc_id"] == first]["verdict"].value_counts()
    said = "; ".join(f"{v} at {mine[v]} site{'s' if mine[v] != 1 else ''}" for v in VERDICTS if v in mine)
    assert f"<strong>By site</strong>: {said}." in html
    assert html.count('<li><span class="excerpt-text">') <= 3 * excerpts.EXCERPTS_BEYOND * len(data.cmocs)
    supporting = cited[(cited["cmoc_id"] == first) & (cited["stance"] == "supports")]
    shown = excerpts._spread_over_sites(supporting, excerpts.EXCERPTS_BEYOND)
    assert len(shown) == min(excerpts.EXCERPTS_BEYOND, len(supporting))
    assert shown["site_id"].nunique() == min(len(shown), supporting["site_id"].nunique())  # one a site first
    assert f"({len(shown)} of {len(supporting)}, across sites)" in html
    few = by_site[by_site["site_id"].isin(data.site_ids[:SITES_IN_DETAIL])]
    detailed = cmoc_dropdowns(cited, data.cmocs, verdicts(data, overall=True), {}, by_site=few)
    assert detailed.count('<li><span class="excerpt-text">') == len(cited[cited["cmoc_id"].isin(data.cmocs["cmoc_id"])])
