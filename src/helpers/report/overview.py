"""The dataset at a glance: counts and the site table shown on the first pages."""

from __future__ import annotations

import pandas as pd

from helpers.data.dataset import Dataset
from helpers.report.disclosure import Policy


def dataset_counts(dataset: Dataset) -> pd.DataFrame:
    """Headline counts of the dataset, one row per quantity (key, label, value)."""
    t = dataset.tables
    people = t["participants"]
    patients = people[people["group"] == "patient"]["participant_id"]
    interviews = t["interviews"]
    followed = interviews[(interviews["wave"] == 2) & interviews["participant_id"].isin(patients)]
    observed_days = t["observations"][["site_id", "date"]].drop_duplicates()
    rows = [
        ("n_sites", "Sites (one link worker each)", len(t["sites"])),
        ("n_professionals", "Professionals interviewed", int((people["group"] != "patient").sum())),
        ("n_link_workers", "of whom link workers", int((people["group"] == "link_worker").sum())),
        ("n_patients", "Patients interviewed", len(patients)),
        ("n_followed_up", "Patients re-interviewed at follow-up", followed["participant_id"].nunique()),
        ("n_interviews", "Interviews", len(interviews)),
        ("n_observed_days", "Observed fieldwork days", len(observed_days)),
        ("n_gp_contacts", "GP contacts in the extract", len(t["gp_contacts"])),
        ("n_segments", "Coded segments", len(t["segments"])),
        ("n_codes", "Codes in the codebook", len(t["codebook"])),
        ("n_cmocs", "CMO configurations", len(t["cmocs"])),
    ]
    return pd.DataFrame(rows, columns=["key", "quantity", "value"]).set_index("key")


def fieldwork_period(dataset: Dataset) -> tuple[str, str]:
    sites = dataset.tables["sites"]
    return (sites["fieldwork_start"].min().strftime("%B %Y"), sites["fieldwork_end"].max().strftime("%B %Y"))


def glue_counts(counts: pd.DataFrame, dataset: Dataset, policy: Policy) -> None:
    """Glue every count (under the disclosure policy, as text), the dataset name and its kind."""
    from myst_nb import glue

    for key, value in counts["value"].items():
        glue(key, str(policy.count(value)), display=False)
    meta = dataset.metadata
    glue("dataset_name", meta.name, display=False)
    glue("dataset_kind", "synthetic (generated, not real people)" if meta.synthetic else "real study data", display=False)
    start, end = fieldwork_period(dataset)
    glue("fieldwork_start", start, display=False)
    glue("fieldwork_end", end, display=False)


def sites_table(dataset: Dataset) -> pd.DataFrame:
    """Sites with their sampling characteristics and participant counts."""
    t = dataset.tables
    groups = pd.crosstab(t["participants"]["site_id"], t["participants"]["group"])
    sites = t["sites"].set_index("site_id")
    table = pd.DataFrame({
        "region": sites["region"],
        "rurality": sites["rurality"],
        "IMD quintile": sites["imd_quintile"],
        "employer": sites["employer"].map({"primary_care": "primary care", "vcse": "VCSE"}),
        "months in post": sites["lw_months_in_post"],
        "professionals": groups.drop(columns="patient", errors="ignore").sum(axis=1).reindex(sites.index, fill_value=0),
        "patients": groups.get("patient", pd.Series(dtype=int)).reindex(sites.index, fill_value=0),
    })
    table.index.name = "site"
    return table
