"""The joint display: where the qualitative and quantitative strands meet, patient by patient.

For every patient, the mechanisms their own interview segments carry (a segment
of theirs coded with the mechanism's code, or any code below it in the
codebook; segments of other speakers about them do not count) beside their
change from the first interview to follow-up in each well-being and
self-efficacy measure (wave 2 minus wave 1, patients with both) and in GP
contacts (after minus before referral, in the GP window of
helpers.analysis.rules, patients whose window the extract covers).

`patient_mechanisms` is per person and never leaves the environment;
`joint_display` aggregates it to mechanism present against absent (n and mean
change), per site and pooled, which the book publishes under the disclosure
policy. A difference between the groups describes these patients: talk of
trust or hope is not randomised, and patients who say more at interview
carry more codes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.analysis import qualitative as Q
from helpers.analysis.gp_contacts import window_counts
from helpers.analysis.rules import GP_WINDOW_MONTHS
from helpers.analysis.scoring import MEASURES, scores
from helpers.data.dataset import Dataset

MECHANISMS = {"trust": "anchor_point.trust", "hope": "anchor_point.hope",
              "readiness": "anchor_point.readiness", "holding": "holding"}
MECHANISM_NAMES = {"trust": "trust in the link worker", "hope": "hope", "readiness": "readiness to change",
                   "holding": "holding"}
GP_CHANGE = "gp_contacts"
OUTCOMES = (*MEASURES, GP_CHANGE)
ALL_SITES = "ALL"
COLUMNS = ("site_id", "mechanism", "measure", "n_present", "mean_present", "n_absent", "mean_absent", "difference")


def patient_mechanisms(dataset: Dataset) -> pd.DataFrame:
    """Per patient (one row each, participants.csv order): site_id, a 0/1 column per mechanism,
    and change_<measure> for each outcome (NaN where the patient has no change)."""
    patients = dataset.patients[["participant_id", "site_id"]].reset_index(drop=True)
    seg = dataset.segments
    own = seg[(seg["source"] == "interview") & seg["participant_id"].isin(patients["participant_id"])]
    table = patients.set_index("participant_id")
    for name, root in MECHANISMS.items():
        hit = Q.carries(dataset, Q.subtree(dataset.codebook, root))
        speakers = set(own.loc[own["segment_id"].map(hit).fillna(False).astype(bool), "participant_id"])
        table[name] = table.index.isin(speakers).astype("int64")
    long = scores(dataset.questionnaires)
    wide = long.pivot_table(index=["participant_id", "measure"], columns="wave", values="value")
    if {1, 2} <= set(wide.columns):
        change = (wide[2] - wide[1]).unstack("measure")
    else:
        change = pd.DataFrame(index=pd.Index([], name="participant_id"))
    for measure in MEASURES:
        table[f"change_{measure}"] = change[measure].reindex(table.index) if measure in change else np.nan
    counts = window_counts(dataset.gp_contacts, dataset.participants, GP_WINDOW_MONTHS,
                           extract_end=dataset.metadata.gp_extract_end).set_index("participant_id")
    table[f"change_{GP_CHANGE}"] = (counts["n_after"] - counts["n_before"]).reindex(table.index).astype("float64")
    return table.reset_index()


def _rows(per_patient: pd.DataFrame, site_id: str) -> list[dict]:
    rows = []
    for mechanism in MECHANISMS:
        for measure in OUTCOMES:
            values = per_patient[["participant_id", mechanism, f"change_{measure}"]].dropna()
            present = values.loc[values[mechanism] == 1, f"change_{measure}"]
            absent = values.loc[values[mechanism] == 0, f"change_{measure}"]
            mean_p = float(present.mean()) if len(present) else np.nan
            mean_a = float(absent.mean()) if len(absent) else np.nan
            rows.append({"site_id": site_id, "mechanism": mechanism, "measure": measure,
                         "n_present": len(present), "mean_present": mean_p,
                         "n_absent": len(absent), "mean_absent": mean_a, "difference": mean_p - mean_a})
    return rows


def joint_display(dataset: Dataset) -> pd.DataFrame:
    """joint_display.csv rows: per site (dataset order) then ALL, each mechanism x outcome:
    patients with and without the mechanism who have a change, and their mean changes."""
    per_patient = patient_mechanisms(dataset)
    by_site = dict(list(per_patient.groupby("site_id", sort=False)))
    rows = []
    for site_id in dataset.site_ids:
        rows += _rows(by_site.get(site_id, per_patient.iloc[0:0]), site_id)
    rows += _rows(per_patient, ALL_SITES)
    return pd.DataFrame(rows, columns=list(COLUMNS))
