"""One row per site of the measures the synthesis sets side by side, and rank correlations
between them (descriptive: a handful of sites, no test)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from helpers.analysis import qualitative as Q
from helpers.data.dataset import Dataset
from helpers.analysis.embeddedness import embeddedness
from helpers.analysis.outcomes import paired_outcomes
from helpers.analysis.scoring import MEASURES, scores


def measures_by_site(dataset: Dataset) -> pd.DataFrame:
    """Per site (index site_id): IMD quintile, segments, holding share, embeddedness score, job
    satisfaction share in the link worker's own words, and the mean wave 2 - wave 1 change of each
    well-being measure (``change_<measure>``, over the ``n_pairs_<measure>`` patients with both waves)."""
    voices = Q.who(dataset)
    table = pd.DataFrame(index=pd.Index(dataset.site_ids, name="site_id"))
    table["imd_quintile"] = dataset.sites.set_index("site_id")["imd_quintile"].astype("float64")
    table["n_segments"] = dataset.segments.groupby("site_id").size().reindex(table.index, fill_value=0)
    table["holding"] = Q.share_by_site(dataset, Q.subtree(dataset.codebook, "holding"))
    table["embeddedness"] = embeddedness(dataset).set_index("site_id")["score"]
    table["job_satisfaction"] = Q.share_by_site(dataset, [Q.JOB_SATISFACTION], among=voices == "link worker")
    long = scores(dataset.questionnaires).merge(dataset.participants[["participant_id", "site_id"]],
                                               on="participant_id")
    for site_id in dataset.site_ids:
        changes = paired_outcomes(long[long["site_id"] == site_id], site_id, tests=False)  # means only
        changes = changes.set_index("measure")
        for measure in MEASURES:
            table.loc[site_id, f"change_{measure}"] = changes.at[measure, "mean_diff"]
            table.loc[site_id, f"n_pairs_{measure}"] = int(changes.at[measure, "n_pairs"])
    return table


def spearman(table: pd.DataFrame, x: str, columns) -> pd.DataFrame:
    """Spearman's rho of `x` with each column over the sites where both are known (index: column).

    rho is NaN with fewer than three sites or when either variable does not vary.
    """
    rows = {}
    for column in columns:
        data = table[[x, column]].dropna()
        rho = np.nan
        if len(data) >= 3 and data[x].nunique() > 1 and data[column].nunique() > 1:
            rho = float(stats.spearmanr(data[x], data[column]).statistic)
        rows[column] = {"n_sites": len(data), "rho": rho}
    return pd.DataFrame.from_dict(rows, orient="index")
