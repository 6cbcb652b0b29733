"""The joint display (helpers.analysis.joint_display) recomputed from the raw files."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from support import EMBEDDED
from helpers.analysis.joint_display import COLUMNS, MECHANISMS, OUTCOMES, joint_display, patient_mechanisms
from helpers.data.dataset import load_dataset


@pytest.fixture(scope="module")
def dataset():
    return load_dataset(EMBEDDED)


@pytest.fixture(scope="module")
def raw():
    read = lambda name: pd.read_csv(EMBEDDED / f"{name}.csv", dtype=str, keep_default_na=False)
    return {name: read(name) for name in ("participants", "segments", "codings", "questionnaires", "gp_contacts")}


def _speakers(raw, prefix: str) -> set[str]:
    seg, cod, people = raw["segments"], raw["codings"], raw["participants"]
    patients = set(people.loc[people["group"] == "patient", "participant_id"])
    coded = set(cod.loc[(cod["code_id"] == prefix) | cod["code_id"].str.startswith(prefix + "."), "segment_id"])
    own = seg[(seg["source"] == "interview") & seg["segment_id"].isin(coded) & seg["participant_id"].isin(patients)]
    return set(own["participant_id"])


def test_mechanisms_are_those_of_the_patients_own_interview_segments(dataset, raw):
    table = patient_mechanisms(dataset).set_index("participant_id")
    for name, code in MECHANISMS.items():
        assert set(table.index[table[name] == 1]) == _speakers(raw, code), name


def test_life_satisfaction_and_gp_change_recomputed_by_hand(dataset, raw):
    q = raw["questionnaires"]
    q = q[q["ons_life_satisfaction"] != ""].astype({"ons_life_satisfaction": float})
    wide = q.pivot(index="participant_id", columns="wave", values="ons_life_satisfaction").dropna()
    change = (wide["2"] - wide["1"])
    people = raw["participants"].set_index("participant_id")
    result = joint_display(dataset).set_index(["site_id", "mechanism", "measure"])
    hope = _speakers(raw, "anchor_point.hope")
    for site_id in ["S2", "ALL"]:
        mine = change if site_id == "ALL" else change[people.loc[change.index, "site_id"] == site_id]
        present = mine[mine.index.isin(hope)]
        absent = mine[~mine.index.isin(hope)]
        row = result.loc[(site_id, "hope", "ons_life_satisfaction")]
        assert (row["n_present"], row["n_absent"]) == (len(present), len(absent))
        assert row["mean_present"] == pytest.approx(present.mean())
        assert row["difference"] == pytest.approx(present.mean() - absent.mean())

    # GP contacts: after minus before within 6 calendar months, patients whose window the extract covers.
    end = dt.date.fromisoformat("2024-06-30")
    contacts = raw["gp_contacts"].assign(day=lambda f: pd.to_datetime(f["contact_date"]))
    changes = {}
    for pid, p in people[people["group"] == "patient"].iterrows():
        ref = pd.Timestamp(p["referral_date"])
        if (ref + pd.DateOffset(months=6)).date() > end:
            continue
        days = contacts.loc[contacts["participant_id"] == pid, "day"]
        before = ((days >= ref - pd.DateOffset(months=6)) & (days < ref)).sum()
        after = ((days > ref) & (days <= ref + pd.DateOffset(months=6))).sum()
        changes[pid] = after - before
    changes = pd.Series(changes, dtype=float)
    trust = _speakers(raw, "anchor_point.trust")
    row = result.loc[("ALL", "trust", "gp_contacts")]
    assert row["n_present"] == changes.index.isin(trust).sum()
    assert row["mean_absent"] == pytest.approx(changes[~changes.index.isin(trust)].mean())


def test_every_site_mechanism_and_outcome_has_a_row(dataset):
    table = joint_display(dataset)
    assert list(table.columns) == list(COLUMNS)
    assert len(table) == (len(dataset.site_ids) + 1) * len(MECHANISMS) * len(OUTCOMES)
    pooled = table[table["site_id"] == "ALL"].set_index(["mechanism", "measure"])
    by_site = table[table["site_id"] != "ALL"].groupby(["mechanism", "measure"])[["n_present", "n_absent"]].sum()
    pd.testing.assert_frame_equal(pooled[["n_present", "n_absent"]].sort_index(), by_site.sort_index(),
                                  check_dtype=False)
    assert np.isfinite(pooled["difference"]).all()
