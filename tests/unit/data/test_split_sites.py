"""Dataset.split_sites: every site's rows in one pass, exactly what for_site gives site by site."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.data.dataset import load_dataset
from helpers.synth import write_dataset

from support import EMBEDDED


def _same(split, one) -> None:
    assert list(split.tables) == list(one.tables)
    for name in one.tables:
        pd.testing.assert_frame_equal(split.tables[name], one.tables[name], check_index_type=True)
        assert split.tables[name].to_csv(index=False) == one.tables[name].to_csv(index=False)
    assert split.metadata == one.metadata


@pytest.mark.parametrize("reads", [None, ["sites", "participants", "questionnaires"], ["sites", "segments", "codings", "codebook"]])
def test_the_split_of_the_embedded_data_matches_for_site(reads):
    dataset = load_dataset(EMBEDDED).only(reads)
    split = dataset.split_sites()
    assert list(split) == dataset.site_ids
    for site_id in dataset.site_ids:
        _same(split[site_id], dataset.for_site(site_id))


def test_a_site_with_no_rows_in_a_table_gets_an_empty_table_of_the_same_columns(tmp_path):
    dataset = load_dataset(write_dataset(tmp_path / "d", n_sites=12, seed=5))
    gp = dataset.tables["gp_contacts"]
    first = dataset.participants.loc[0, "site_id"]
    people = dataset.tables["participants"]
    dropped = gp[~gp["participant_id"].isin(people.loc[people["site_id"] == first, "participant_id"])]
    thinner = type(dataset)(dataset.path, dataset.metadata, {**dataset.tables, "gp_contacts": dropped})
    split = thinner.split_sites()
    assert split[first].tables["gp_contacts"].empty
    for site_id in thinner.site_ids:
        _same(split[site_id], thinner.for_site(site_id))
