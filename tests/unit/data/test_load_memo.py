"""load_dataset in a warm kernel: the validated snapshot is unpickled once, and what one notebook
changes in its tables never reaches the next notebook's."""

from __future__ import annotations

import pickle

import pandas as pd

from helpers.data import dataset as dataset_module
from helpers.data.dataset import load_dataset
from helpers.synth import write_dataset


def test_later_loads_skip_the_unpickling_and_are_not_changed_by_an_earlier_notebook(tmp_path, monkeypatch):
    project = tmp_path / "project"
    (project / "notebooks").mkdir(parents=True)
    (project / "_config.yml").write_text("title: t\n")
    data = write_dataset(project / "data", n_sites=3, seed=41)
    monkeypatch.chdir(project)
    dataset_module._LOADED.clear()

    validated = load_dataset(data)  # validates and writes the snapshot
    first = load_dataset(data)  # unpickles it
    pd.testing.assert_frame_equal(first.tables["participants"], validated.tables["participants"])

    first.tables["participants"].loc[0, "site_id"] = "CHANGED"
    first.tables["questionnaires"]["ons_happy"] = 0
    del first.tables["sites"]

    def no_unpickling(*args, **kwargs):
        raise AssertionError("the snapshot was unpickled again")

    monkeypatch.setattr(pickle, "load", no_unpickling)
    second = load_dataset(data)
    for name, frame in validated.tables.items():
        pd.testing.assert_frame_equal(second.tables[name], frame)


def test_another_dataset_replaces_the_kept_one(tmp_path, monkeypatch):
    project = tmp_path / "project"
    (project / "notebooks").mkdir(parents=True)
    (project / "_config.yml").write_text("title: t\n")
    one = write_dataset(project / "one", n_sites=2, seed=1)
    two = write_dataset(project / "two", n_sites=4, seed=2)
    monkeypatch.chdir(project)
    dataset_module._LOADED.clear()
    for path in (one, two, one, two):
        load_dataset(path)
    assert len(dataset_module._LOADED) == 1
    assert load_dataset(one).site_ids == ["S1", "S2"] and len(load_dataset(two).site_ids) == 4
