"""A site job's slice: what `load_site` reads back from the file `linkbook run` wrote is the
site's rows (and the whole sites table), the same as filtering the whole dataset."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.data.dataset import load_dataset, load_site, write_site_slices
from helpers.synth import write_dataset

from support import EMBEDDED


def _same_site(one, other, site_id) -> None:
    a, b = one.for_site(site_id), other.for_site(site_id)
    assert list(a.tables) == list(b.tables)
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])
    assert a.metadata == b.metadata


@pytest.mark.parametrize("chosen", [["S2"], ["S1", "S3", "S4", "S5", "S6", "S7", "S2"]])
def test_a_slice_read_back_is_the_sites_rows_of_the_whole_dataset(tmp_path, chosen):
    dataset = load_dataset(EMBEDDED)
    files = write_site_slices(dataset, tmp_path, chosen)
    assert sorted(files) == sorted(chosen)
    for site_id in chosen:
        part = load_site(EMBEDDED, site_id, files[site_id])
        _same_site(part, dataset, site_id)
        _same_site(part, load_site(EMBEDDED, site_id), site_id)  # no slice: the whole dataset, filtered
        pd.testing.assert_frame_equal(part.sites, dataset.sites)  # labels number a site among all sites
        assert set(part.participants["site_id"]) == {site_id}


def test_many_sites_are_split_in_one_pass_with_the_same_rows(tmp_path):
    dataset = load_dataset(write_dataset(tmp_path / "d", n_sites=12, seed=11))
    files = write_site_slices(dataset, tmp_path / "slices", dataset.site_ids)
    for site_id in dataset.site_ids:
        _same_site(load_site(dataset.path, site_id, files[site_id]), dataset, site_id)


def test_a_slice_of_another_site_is_refused(tmp_path):
    dataset = load_dataset(EMBEDDED)
    files = write_site_slices(dataset, tmp_path, ["S1"])
    with pytest.raises(KeyError, match="no rows of site 'S2'"):
        load_site(EMBEDDED, "S2", files["S1"])
