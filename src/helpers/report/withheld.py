"""Which cells complementary suppression withholds, computed once per run for every page.

A line is a count of people per site whose total the book also publishes. The lines:

- `patients`, `professionals`, `followed_up`: people per site (site pages, the overview's
  site table) with the dataset totals on the first page;
- `pairs:<measure>`: patients with both waves of a measure (site pages, the forest plot,
  the realist synthesis) with the pooled row;
- `gp`: patients whose GP record covers the window (site pages, the GP table) with the
  pooled row; a site withheld here has every GP figure withheld (coverage, rate ratios, the
  month-by-month trajectory, whose months before referral add up to its window);
- `gp_month:<k>`: patients whose record covers month k around referral (the trajectory of
  each site page) with the pooled trajectory; the sites withheld on `gp` are withheld here too.

A withheld cell takes its statistics with it (means, intervals, tests), because a mean times
its count is a sum, which subtraction from the pooled sum would give back.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.analysis.gp_contacts import patients_per_month, window_counts
from helpers.analysis.rules import GP_WINDOW_MONTHS
from helpers.analysis.scoring import MEASURES, scores, wave_pairs
from helpers.data.dataset import Dataset
from helpers.report.disclosure import SUPPRESSED, Policy, complementary_cells

TRAJECTORY_MONTHS = (12, 12)  # months before and after referral that the trajectories show


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
    long = scores(dataset.questionnaires)
    site_of_anyone = people.set_index("participant_id")["site_id"]
    for measure in MEASURES:  # the pairs paired_outcomes counts at each site
        lines[f"pairs:{measure}"] = per_site(pd.DataFrame(
            {"site_id": wave_pairs(long, measure).index.map(site_of_anyone)}))
    extract = dict(extract_start=dataset.metadata.gp_extract_start, extract_end=dataset.metadata.gp_extract_end)
    counts = window_counts(dataset.gp_contacts, people, GP_WINDOW_MONTHS, **extract)  # as the pages count
    lines["gp"] = per_site(counts)  # the n_patients of each site's summarise_windows row
    months = patients_per_month(people, sites, *TRAJECTORY_MONTHS, **extract)  # as each site page's trajectory
    lines.update({f"gp_month:{k}": per_site_month for k, per_site_month in months.items()})  # counts, at once
    return lines


def withheld_cells(dataset: Dataset, policy: Policy) -> tuple[tuple[str, str], ...]:
    """(line, site_id) of every cell withheld by complementary suppression (primary ones included)."""
    lines = site_lines(dataset)
    gp = complementary_cells(lines["gp"], policy)
    return tuple(sorted((line, site) for line, counts in lines.items()
                        for site in complementary_cells(counts, policy, gp if line.startswith("gp_month:") else ())))


def protect_trajectory(trajectory: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """monthly_trajectory rows with mean_contacts and n_contacts blanked (NaN) in every month resting on
    fewer patients than the threshold or withheld for this page's site (`policy.site_id`)."""
    shown = [policy.allows(n, f"gp_month:{k}") for k, n in zip(trajectory["month"], trajectory["n_patients"])]
    hidden = [not s for s in shown]
    return trajectory.assign(mean_contacts=trajectory["mean_contacts"].mask(hidden),
                             n_contacts=trajectory["n_contacts"].astype(float).mask(hidden))


def protect_models(models: pd.DataFrame, changes: pd.DataFrame, covariates: pd.DataFrame,
                   policy: Policy) -> pd.DataFrame:
    """change_by_site_characteristic rows with the estimate, interval and p (and the patient count)
    set to SUPPRESSED where the model would let a withheld cell be recomputed.

    A site characteristic splits the sites into groups (its values, and the sites the model leaves
    out for want of a value). The estimate weighs each group's patients alike, so beside the pooled
    row and the published sites' figures it acts as one more subtotal per group: it is shown only if
    every group holds at least `threshold` patients and the group's withheld sites (`pairs:<measure>`)
    are none, or at least two holding at least 2 x threshold - 1 patients, as complementary
    suppression asks of the total. The count is suppressed when the model leaves sites out and the
    left-out sites hold such a lone withheld cell."""
    out = models.astype({c: object for c in ("estimate", "ci95_low", "ci95_high", "p", "n_patients")
                         if c in models})
    for i, r in models.iterrows():
        pairs = changes[changes["measure"] == r["measure"]].groupby("site_id").size()
        value = covariates[r["covariate"]].reindex(pairs.index)
        groups = [pairs[value == v] for v in value.dropna().unique()]
        unused = pairs[value.isna()]
        if not all(_subtotal_safe(g, f"pairs:{r['measure']}", policy) for g in groups + [unused]):
            out.loc[i, [c for c in ("estimate", "ci95_low", "ci95_high", "p") if c in out]] = SUPPRESSED
        if not _subtotal_safe(unused, f"pairs:{r['measure']}", policy, require_size=False):
            out.loc[i, "n_patients"] = SUPPRESSED
    return out


def _subtotal_safe(counts: pd.Series, line: str, policy: Policy, require_size: bool = True) -> bool:
    """Whether a published subtotal over these sites (site_id -> people) leaves no withheld cell alone."""
    if counts.sum() == 0:
        return True
    hidden = [n for site, n in counts.items() if policy.hides(line, site) and n > 0]
    return ((not require_size or counts.sum() >= policy.threshold)
            and (not hidden or (len(hidden) >= 2 and sum(hidden) >= 2 * policy.threshold - 1)))


def protect_pooled_change(pooled: pd.DataFrame, estimates: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """gp_change ALL rows with n_patients set to SUPPRESSED where it sums only the sites with an estimate
    and the sites left out (or those summed) hold a lone withheld `gp` cell: the pooled count minus the
    published sites would give it back."""
    out = pooled.astype({"n_patients": object})
    for i, r in pooled.iterrows():
        part = estimates[estimates["comparison"] == r["comparison"]].set_index("site_id")
        used = np.isfinite(part["log_rr"]) & np.isfinite(part["se"]) & (part["se"] > 0)
        if not all(_subtotal_safe(part.loc[mask, "n_patients"], "gp", policy, require_size=False)
                   for mask in (used, ~used)):
            out.loc[i, "n_patients"] = SUPPRESSED
    return out


def protect_attrition(attrition: pd.DataFrame, pooled: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """attrition rows with the followed-up group's figures set to SUPPRESSED where they differ from the
    pooled outcomes (`pooled`: patients with both waves, mean at wave 1) by 1 to threshold - 1 patients:
    subtracting the two would give the count and mean baseline of those few (followed up, but missing
    the measure at follow-up)."""
    pairs = pooled.set_index("measure")["n_pairs"]
    out = attrition.astype(object)
    for i, r in attrition.iterrows():
        extra = int(r["n_followed_up"]) - int(pairs.get(r["measure"], 0))
        if 0 < extra < policy.threshold:
            out.loc[i, ["n_followed_up", "n_lost", "mean_followed_up", "difference", "p_welch"]] = SUPPRESSED
    return out


def protect_site_changes(table: pd.DataFrame, policy: Policy, measures=MEASURES) -> pd.DataFrame:
    """measures_by_site rows (index site_id) with each `change_<measure>` blanked (NaN, so that it is
    neither drawn nor ranked) where it rests on too few patients or its cell is withheld."""
    out = table.copy()
    for measure in measures:
        shown = [policy.allows(n, f"pairs:{measure}", site) for site, n in out[f"n_pairs_{measure}"].items()]
        out.loc[[not s for s in shown], f"change_{measure}"] = float("nan")
    return out
