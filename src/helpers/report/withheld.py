"""Which cells complementary suppression withholds, computed once per run for every page.

A line is a count of people per site whose total the book also publishes. The lines:

- `patients`, `professionals`, `followed_up`: people per site (site pages, the overview's
  site table) with the dataset totals on the first page;
- `pairs:<measure>`: patients with both waves of a measure (site pages, the forest plot,
  the realist synthesis) with the pooled row;
- `gp`: patients whose GP record covers the window (site pages, the GP table) with the
  pooled row.

A withheld cell takes its statistics with it (means, intervals, tests), because a mean times
its count is a sum, which subtraction from the pooled sum would give back.
"""

from __future__ import annotations

import pandas as pd

from helpers.analysis.gp_contacts import summarise_windows, window_counts
from helpers.analysis.outcomes import paired_outcomes
from helpers.analysis.rules import GP_WINDOW_MONTHS
from helpers.analysis.scoring import MEASURES, scores
from helpers.data.dataset import Dataset
from helpers.report.disclosure import Policy, complementary_cells


def site_lines(dataset: Dataset) -> dict[str, dict[str, int]]:
    """Every line: line -> {site_id: count of people}."""
    sites = dataset.site_ids
    people = dataset.participants
    patients = people[people["group"] == "patient"]
    per_site = lambda frame: frame.groupby("site_id").size().reindex(sites, fill_value=0).astype(int).to_dict()
    site_of = patients.set_index("participant_id")["site_id"]
    wave2 = dataset.interviews[(dataset.interviews["wave"] == 2)
                               & dataset.interviews["participant_id"].isin(site_of.index)]
    followed = wave2["participant_id"].drop_duplicates().map(site_of).value_counts()
    lines = {"patients": per_site(patients), "professionals": per_site(people[people["group"] != "patient"]),
             "followed_up": {s: int(followed.get(s, 0)) for s in sites}}
    long = scores(dataset.questionnaires).merge(people[["participant_id", "site_id"]], on="participant_id")
    for measure in MEASURES:
        lines[f"pairs:{measure}"] = {}
    for site in sites:
        pairs = paired_outcomes(long[long["site_id"] == site], site, tests=False).set_index("measure")["n_pairs"]
        for measure in MEASURES:
            lines[f"pairs:{measure}"][site] = int(pairs[measure])
    counts = window_counts(dataset.gp_contacts, people, GP_WINDOW_MONTHS, extract_end=dataset.metadata.gp_extract_end)
    lines["gp"] = {s: int(summarise_windows(counts[counts["site_id"] == s], s, GP_WINDOW_MONTHS,
                                            wilcoxon=False)["n_patients"].iloc[0]) for s in sites}
    return lines


def withheld_cells(dataset: Dataset, policy: Policy) -> tuple[tuple[str, str], ...]:
    """(line, site_id) of every cell withheld by complementary suppression (primary ones included)."""
    return tuple(sorted((line, site) for line, counts in site_lines(dataset).items()
                        for site in complementary_cells(counts, policy)))


def protect_site_changes(table: pd.DataFrame, policy: Policy, measures=MEASURES) -> pd.DataFrame:
    """measures_by_site rows (index site_id) with each `change_<measure>` blanked (NaN, so that it is
    neither drawn nor ranked) where it rests on too few patients or its cell is withheld."""
    out = table.copy()
    for measure in measures:
        shown = [policy.allows(n, f"pairs:{measure}", site) for site, n in out[f"n_pairs_{measure}"].items()]
        out.loc[[not s for s in shown], f"change_{measure}"] = float("nan")
    return out
