"""The coding matrix and the concept counts against independent computations on the raw files."""

from __future__ import annotations

import pandas as pd
import pytest

from support import EMBEDDED
from helpers.analysis import qualitative as Q
from helpers.data.dataset import load_dataset


@pytest.fixture(scope="module")
def dataset():
    return load_dataset(EMBEDDED)


@pytest.fixture(scope="module")
def raw():
    segments = pd.read_csv(EMBEDDED / "segments.csv", dtype=str)
    # a code applied to a segment by several coders counts once
    codings = pd.read_csv(EMBEDDED / "codings.csv", dtype=str).drop_duplicates(["segment_id", "code_id"])
    participants = pd.read_csv(EMBEDDED / "participants.csv", dtype=str)
    codebook = pd.read_csv(EMBEDDED / "codebook.csv", dtype=str)
    return segments, codings.merge(segments, on="segment_id"), participants, codebook


def test_coding_matrix_matches_a_crosstab(dataset, raw):
    segments, coded, _, codebook = raw
    expected = pd.crosstab(coded["site_id"], coded["code_id"]).reindex(columns=codebook["code_id"], fill_value=0)
    people = coded.groupby(["site_id", "code_id"])["participant_id"].nunique()
    matrix = Q.coding_matrix(dataset)
    assert list(matrix.columns) == ["site_id", "code_id", "n_segments", "n_participants"]
    assert len(matrix) == segments["site_id"].nunique() * len(codebook)
    for r in matrix.itertuples():
        assert r.n_segments == expected.loc[r.site_id, r.code_id]
        assert r.n_participants == people.get((r.site_id, r.code_id), 0)


def test_one_site_matrix_equals_its_rows_in_the_whole(dataset):
    whole = Q.coding_matrix(dataset)
    site = Q.coding_matrix(dataset.for_site("S4"))
    pd.testing.assert_frame_equal(site, whole[whole["site_id"] == "S4"].reset_index(drop=True))


def test_by_source_totals_add_up(dataset, raw):
    _, coded, _, codebook = raw
    s5 = coded[coded["site_id"] == "S5"]
    table = Q.by_source(dataset.for_site("S5"))
    labels = dict(zip(codebook["code_id"], codebook["label"]))
    expected = pd.crosstab(s5["code_id"], s5["source"])
    for code, row in expected.iterrows():
        for source, count in row.items():
            assert table.loc[labels[code], source] == count
    assert (table[list(Q.SOURCES)].sum(axis=1) == table["all sources"]).all()


def test_who_follows_the_speakers_group(dataset, raw):
    segments, _, participants, _ = raw
    groups = dict(zip(participants["participant_id"], participants["group"]))
    voices = Q.who(dataset)
    expected = {"patient": "patients", "link_worker": "link worker", "health_professional": "professionals",
                "voluntary_sector": "professionals"}
    for r in segments.itertuples():
        if r.source == "interview":
            assert voices[r.segment_id] == expected[groups[r.participant_id]]
        else:
            assert voices[r.segment_id] == {"debrief": "link worker", "observation": "field notes",
                                            "document": "documents"}[r.source]


def test_holding_by_who_counts_segments(dataset, raw):
    segments, coded, participants, _ = raw
    site = coded[(coded["site_id"] == "S1") & (coded["code_id"] == "holding.waiting")]
    patients = set(participants.loc[participants["group"] == "patient", "participant_id"])
    table = Q.by_who(dataset.for_site("S1"), Q.HOLDING_FUNCTIONS)
    row = table.iloc[0]
    assert row["all"] == len(site)
    assert row["patients"] == ((site["source"] == "interview") & site["participant_id"].isin(patients)).sum()
    assert row["documents"] == (site["source"] == "document").sum()


def test_share_by_site_and_concept_families(dataset, raw):
    segments, coded, _, _ = raw
    holding = coded[coded["code_id"].str.startswith("holding")].groupby("site_id")["segment_id"].nunique()
    expected = holding / segments.groupby("site_id").size()
    shares = Q.share_by_site(dataset, Q.subtree(dataset.codebook, "holding"))
    pd.testing.assert_series_equal(shares, expected.reindex(shares.index), check_names=False)
    assert Q.subtree(dataset.codebook, "holding") == ["holding", *Q.HOLDING_FUNCTIONS, *Q.HOLDING_COSTS]


def test_co_coded_counts_pairs(dataset, raw):
    _, coded, _, _ = raw
    site = coded[coded["site_id"] == "S2"]
    with_code = set(site.loc[site["code_id"] == "anchor_point.hope", "segment_id"])
    with_other = set(site.loc[site["code_id"] == Q.SELF_CONFIDENCE_HOPE, "segment_id"])
    table = Q.co_coded(dataset.for_site("S2"), ["anchor_point.hope"], [Q.SELF_CONFIDENCE_HOPE], names=["x"])
    assert table.iloc[0].tolist() == [len(with_code), len(with_code & with_other)]
