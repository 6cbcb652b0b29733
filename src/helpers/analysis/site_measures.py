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
    by_site = dict(list(long.groupby("site_id", sort=False)))
    for site_id in dataset.site_ids:
        changes = paired_outcomes(by_site.get(site_id, long.iloc[0:0]), site_id, tests=False)  # means only
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


def spearman_over_draws(table: pd.DataFrame, draws: pd.DataFrame, x: str, columns) -> pd.DataFrame:
    """Spearman's rho of each column with `x` repeated over bootstrap draws of `x` (rows of `draws`,
    columns site_id): the rho of the point estimates beside the median and 2.5th-97.5th percentile of rho
    over the draws, so that the uncertainty of `x` is carried into the association (index: column).

    Draws where rho is not defined (a constant column) are left out; `n_draws` counts those used.
    """
    rows = {}
    point = spearman(table, x, columns)
    for column in columns:
        known = table[column].dropna().index.intersection(draws.columns)
        sample = draws[known].dropna(axis=1)
        y = table.loc[sample.columns, column].to_numpy(dtype="float64")
        rhos = np.empty(0)
        if len(y) >= 3 and np.ptp(y) > 0:
            rx = stats.rankdata(sample.to_numpy(), axis=1)  # Spearman = Pearson on ranks (ties averaged)
            ry = stats.rankdata(y)
            rx, ry = rx - rx.mean(axis=1, keepdims=True), ry - ry.mean()
            spread = np.sqrt((rx ** 2).sum(axis=1) * (ry ** 2).sum())
            with np.errstate(invalid="ignore", divide="ignore"):
                rhos = np.where(spread > 0, rx @ ry / np.where(spread > 0, spread, 1), np.nan)
            rhos = rhos[~np.isnan(rhos)]
        low, mid, high = np.percentile(rhos, [2.5, 50, 97.5]) if rhos.size else (np.nan,) * 3
        rows[column] = {"n_sites": int(point.loc[column, "n_sites"]), "rho": point.loc[column, "rho"],
                        "rho_median": mid, "rho_low": low, "rho_high": high, "n_draws": int(rhos.size)}
    return pd.DataFrame.from_dict(rows, orient="index")
