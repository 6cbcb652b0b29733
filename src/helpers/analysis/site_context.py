"""A site's context: its characteristics, the link worker's time use, its participants."""

from __future__ import annotations

import pandas as pd

from helpers.data.dataset import Dataset

ACTIVITY_LABELS = {
    "patient_contact": "with patients",
    "practice_meeting": "practice meetings",
    "community_engagement": "voluntary organisations and community",
    "admin": "admin",
    "supervision": "supervision",
}
GROUP_LABELS = {
    "patient": "patients", "link_worker": "link workers",
    "health_professional": "health professionals", "voluntary_sector": "voluntary sector",
}


def characteristics(site: Dataset) -> pd.DataFrame:
    """The site's sampling characteristics as a two-column table."""
    row = site.sites.iloc[0]
    items = [
        ("Region", row["region"]), ("Rurality", row["rurality"]),
        ("IMD quintile (1 = most deprived)", int(row["imd_quintile"])),
        ("Link worker employed by", "primary care" if row["employer"] == "primary_care" else "a VCSE organisation"),
        ("Population served", f"{int(row['population_served']):,}"),
        ("Link worker's months in post", int(row["lw_months_in_post"])),
        ("Team model", "works alone" if row["team_model"] == "sole" else "part of a team"),
        ("Fieldwork", f"{row['fieldwork_start']:%d %b %Y} to {row['fieldwork_end']:%d %b %Y}"),
    ]
    return pd.DataFrame(items, columns=["characteristic", "value"]).set_index("characteristic")


def time_use(observations: pd.DataFrame) -> pd.DataFrame:
    """Observed minutes and share of time by activity, in a fixed order (all activities shown)."""
    minutes = observations.groupby("activity")["minutes"].sum().reindex(list(ACTIVITY_LABELS), fill_value=0)
    total = minutes.sum()
    share = minutes / total if total else minutes * float("nan")
    frame = pd.DataFrame({"activity": [ACTIVITY_LABELS[a] for a in minutes.index],
                          "minutes": minutes.astype(int).to_numpy(), "share": share.to_numpy()})
    return frame


def observed_days(observations: pd.DataFrame) -> int:
    return int(observations["date"].nunique())


def participants_by_role(participants: pd.DataFrame) -> pd.DataFrame:
    """Count of participants by group and role."""
    counts = participants.groupby(["group", "role"]).size().rename("participants").reset_index()
    counts["group"] = counts["group"].map(GROUP_LABELS)
    return counts.sort_values(["group", "role"]).set_index(["group", "role"])


def follow_up(site: Dataset) -> pd.Series:
    """Patients interviewed at wave 1 and at wave 2 (whole numbers)."""
    patients = set(site.patients["participant_id"])
    interviews = site.interviews[site.interviews["participant_id"].isin(patients)]
    wave1 = interviews.loc[interviews["wave"] == 1, "participant_id"].nunique()
    wave2 = interviews.loc[interviews["wave"] == 2, "participant_id"].nunique()
    return pd.Series({"patients": len(patients), "interviewed at wave 1": wave1,
                      "followed up at wave 2": wave2}, dtype="int64")
