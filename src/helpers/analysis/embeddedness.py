"""A site's place on the continuum of embeddedness (bolted on, fitting in, belonging).

Rule (stated in the book):
- Each segment coded ``embeddedness.bolted_on``, ``embeddedness.fitting_in`` or
  ``embeddedness.belonging`` scores -1, 0 or +1 (a segment with more than one
  of these codes scores the mean of them). The site's score is the mean over
  its segments, from -1 (all bolted on) to +1 (all belonging).
- The 95% interval is a percentile cluster bootstrap over the site's
  participants: one person gives many segments (a link worker's debriefs and
  field notes are theirs), so people, not segments, are resampled with
  replacement and the score of a resample is the mean over all the segments
  of the people drawn. A segment with nobody (a document) is its own cluster.
  ``BOOTSTRAP_SAMPLES`` resamples with a fixed seed per site, so it is the same
  on every run and does not depend on which other sites are in the dataset.
- Distribution and polarisation: the share of the site's segments at each level
  (a segment with several levels shares itself equally among them), and the
  polarisation, the variance of the segment scores (0 = all at one level, 1 =
  half bolted on and half belonging). A site placed as fitting in whose
  polarisation is at least ``EMBEDDEDNESS_SPLIT_POLARISATION`` is ``split``:
  its middle score comes from segments at both ends, not from fitting in.
- Position: score below -1/3 is ``bolted_on``, above +1/3 ``belonging``,
  otherwise (boundaries included) ``fitting_in``; a site with no such segment
  has score NaN and position "no evidence". Positions are the codebook's level
  names (the part of the code after "embeddedness.").
"""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd

from helpers.data.dataset import Dataset
from helpers.analysis.rules import (BOOTSTRAP_SAMPLES, BOOTSTRAP_SEED, EMBEDDEDNESS_SPLIT_POLARISATION,
                                    EMBEDDEDNESS_THRESHOLDS)

LEVELS = ("bolted_on", "fitting_in", "belonging")
LEVEL_SCORES = {"bolted_on": -1, "fitting_in": 0, "belonging": 1}
LEVEL_NAMES = {"bolted_on": "bolted on", "fitting_in": "fitting in", "belonging": "belonging",
               "no evidence": "no evidence"}
CODES = {f"embeddedness.{level}": level for level in LEVELS}
THRESHOLDS = EMBEDDEDNESS_THRESHOLDS
NO_EVIDENCE = "no evidence"
COLUMNS = ("site_id", "n_segments", "n_people", "score", "ci95_low", "ci95_high", "position",
           "share_bolted_on", "share_fitting_in", "share_belonging", "polarisation", "split")


def coded_segments(dataset: Dataset) -> pd.DataFrame:
    """One row per segment with an embeddedness level: segment_id, site_id, cluster, levels (comma-joined), score.

    `cluster` is the participant the segment belongs to, or the segment itself
    when it belongs to nobody. A code applied by several coders counts once.
    """
    codings = dataset.codings[dataset.codings["code_id"].isin(list(CODES))]
    codings = codings.drop_duplicates(["segment_id", "code_id"])[["segment_id", "code_id"]]
    codings = codings.assign(level=codings["code_id"].map(CODES))
    segments = dataset.segments[["segment_id", "site_id"]].assign(
        cluster=dataset.segments["participant_id"].fillna(dataset.segments["segment_id"]))
    codings = codings.merge(segments, on="segment_id")
    codings["value"] = codings["level"].map(LEVEL_SCORES).astype("float64")
    codings["order"] = codings["level"].map({lvl: i for i, lvl in enumerate(LEVELS)})
    codings = codings.sort_values(["segment_id", "order"])
    per_segment = codings.groupby(["segment_id", "site_id", "cluster"], sort=False).agg(
        levels=("level", ", ".join), score=("value", "mean")).reset_index()
    return per_segment.sort_values("segment_id", kind="stable").reset_index(drop=True)


def position(score: float) -> str:
    """The position label of a score (see the module docstring)."""
    if pd.isna(score):
        return NO_EVIDENCE
    if score < THRESHOLDS[0]:
        return "bolted_on"
    if score > THRESHOLDS[1]:
        return "belonging"
    return "fitting_in"


def cluster_draws(scores, clusters, samples: int = BOOTSTRAP_SAMPLES, seed: int = BOOTSTRAP_SEED) -> np.ndarray:
    """`samples` cluster-bootstrap means of `scores`: clusters drawn with replacement, then all their values.

    Empty input gives an empty array.
    """
    frame = pd.DataFrame({"score": np.asarray(scores, dtype="float64"), "cluster": list(clusters)})
    if frame.empty:
        return np.empty(0)
    sums = frame.groupby("cluster", sort=True)["score"].agg(["sum", "size"])
    rng = np.random.default_rng(seed)
    drawn = rng.integers(0, len(sums), size=(samples, len(sums)))
    return sums["sum"].to_numpy()[drawn].sum(axis=1) / sums["size"].to_numpy()[drawn].sum(axis=1)


def cluster_ci(scores, clusters, samples: int = BOOTSTRAP_SAMPLES, seed: int = BOOTSTRAP_SEED) -> tuple[float, float]:
    """Percentile 95% interval of the cluster-bootstrap means (NaN if empty)."""
    means = cluster_draws(scores, clusters, samples, seed)
    if means.size == 0:
        return np.nan, np.nan
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


def _site_seed(site_id: str) -> int:
    """A seed of the site's own, so that its interval does not depend on the other sites."""
    return BOOTSTRAP_SEED + zlib.crc32(site_id.encode("utf-8"))


def level_shares(scored: pd.DataFrame) -> pd.DataFrame:
    """Share of each level (columns LEVELS) among the segments of `scored`; a segment with k levels adds 1/k to each."""
    exploded = scored.assign(level=scored["levels"].str.split(", ")).explode("level")
    exploded["share"] = 1 / exploded.groupby("segment_id")["level"].transform("size")
    totals = exploded.groupby("level")["share"].sum().reindex(list(LEVELS), fill_value=0.0)
    return totals / len(scored) if len(scored) else totals * np.nan


def polarisation(scores) -> float:
    """Variance (population) of segment scores on -1..+1: 0 one level only, 1 half at each end."""
    values = np.asarray(scores, dtype="float64")
    return float(values.var()) if values.size else np.nan


def embeddedness(dataset: Dataset) -> pd.DataFrame:
    """embeddedness.csv rows: one per site of the dataset, in dataset order."""
    scored = coded_segments(dataset)
    by_site = dict(list(scored.groupby("site_id", sort=False)))
    rows = []
    for site_id in dataset.site_ids:
        mine = by_site.get(site_id, scored.iloc[0:0])
        values = mine["score"].to_numpy()
        score = float(values.mean()) if values.size else np.nan
        low, high = cluster_ci(values, mine["cluster"], seed=_site_seed(site_id))
        shares = level_shares(mine)
        spread = polarisation(values)
        place = position(score)
        rows.append({"site_id": site_id, "n_segments": int(values.size), "n_people": int(mine["cluster"].nunique()),
                     "score": score, "ci95_low": low, "ci95_high": high, "position": place,
                     **{f"share_{level}": float(shares[level]) for level in LEVELS},
                     "polarisation": spread,
                     "split": bool(place == "fitting_in" and spread >= EMBEDDEDNESS_SPLIT_POLARISATION)})
    return pd.DataFrame(rows, columns=list(COLUMNS))


def position_draws(dataset: Dataset, samples: int = BOOTSTRAP_SAMPLES) -> pd.DataFrame:
    """Cluster-bootstrap draws of every site's score (rows: draw 0..samples-1, columns: site_id).

    Draw i of a site is the i-th resample behind its interval, so an analysis
    repeated over the rows carries the uncertainty of every site's score.
    """
    scored = coded_segments(dataset)
    by_site = dict(list(scored.groupby("site_id", sort=False)))
    draws = {}
    for site_id in dataset.site_ids:
        mine = by_site.get(site_id, scored.iloc[0:0])
        means = cluster_draws(mine["score"], mine["cluster"], samples, seed=_site_seed(site_id))
        draws[site_id] = means if means.size else np.full(samples, np.nan)
    return pd.DataFrame(draws).rename_axis(index="draw", columns="site_id")


def position_probabilities(draws: pd.DataFrame) -> pd.DataFrame:
    """Per site (rows): the share of bootstrap draws placing it at each level (columns LEVELS)."""
    placed = draws.apply(lambda column: column.map(position))
    return pd.DataFrame({level: (placed == level).mean() for level in LEVELS}).rename_axis(index="site_id")


def level_counts(dataset: Dataset) -> pd.DataFrame:
    """Segments per level (columns, continuum order) for each site (rows)."""
    scored = coded_segments(dataset)
    exploded = scored.assign(level=scored["levels"].str.split(", ")).explode("level")
    table = pd.crosstab(exploded["site_id"], exploded["level"])
    return table.reindex(index=dataset.site_ids, columns=list(LEVELS), fill_value=0).rename_axis(
        index="site_id", columns=None)


def phrase(row) -> str:
    """A row of embeddedness.csv in words, e.g.
    'bolted on (score -0.75, 95% CI -0.94 to -0.53; 32 segments from 9 people or documents)'; a split site says so."""
    if row["position"] == NO_EVIDENCE:
        return "not placed: no segment at this site was coded with a level of embeddedness"
    text = (f"{LEVEL_NAMES[row['position']]} (score {row['score']:+.2f}, 95% CI {row['ci95_low']:+.2f} to "
            f"{row['ci95_high']:+.2f}; {int(row['n_segments'])} segments from {int(row['n_people'])} people or documents)")
    if row["split"]:
        text += (f", but split rather than fitting in: {row['share_bolted_on']:.0%} of the segments read as bolted "
                 f"on and {row['share_belonging']:.0%} as belonging (polarisation {row['polarisation']:.2f})")
    return text
