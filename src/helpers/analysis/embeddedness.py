"""A site's place on the continuum of embeddedness (bolted on, fitting in, belonging).

Rule (stated in the book):
- Each segment coded ``embeddedness.bolted_on``, ``embeddedness.fitting_in`` or
  ``embeddedness.belonging`` scores -1, 0 or +1 (a segment with more than one
  of these codes scores the mean of them). The site's score is the mean over
  its segments, from -1 (all bolted on) to +1 (all belonging).
- The 95% interval is a percentile bootstrap over segments:
  ``BOOTSTRAP_SAMPLES`` resamples with a fixed seed, so it is the same on every
  run and does not depend on which other sites are in the dataset.
- Position: score below -1/3 is ``bolted_on``, above +1/3 ``belonging``,
  otherwise (boundaries included) ``fitting_in``; a site with no such segment
  has score NaN and position "no evidence". Positions are the codebook's level
  names (the part of the code after "embeddedness.").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.data.dataset import Dataset
from helpers.analysis.rules import BOOTSTRAP_SAMPLES, BOOTSTRAP_SEED, EMBEDDEDNESS_THRESHOLDS

LEVELS = ("bolted_on", "fitting_in", "belonging")
LEVEL_SCORES = {"bolted_on": -1, "fitting_in": 0, "belonging": 1}
LEVEL_NAMES = {"bolted_on": "bolted on", "fitting_in": "fitting in", "belonging": "belonging",
               "no evidence": "no evidence"}
CODES = {f"embeddedness.{level}": level for level in LEVELS}
THRESHOLDS = EMBEDDEDNESS_THRESHOLDS
NO_EVIDENCE = "no evidence"
COLUMNS = ("site_id", "n_segments", "score", "ci95_low", "ci95_high", "position")


def coded_segments(dataset: Dataset) -> pd.DataFrame:
    """One row per segment with an embeddedness level: segment_id, site_id, levels (comma-joined), score."""
    codings = dataset.codings[dataset.codings["code_id"].isin(list(CODES))].drop_duplicates()
    codings = codings.assign(level=codings["code_id"].map(CODES))
    codings = codings.merge(dataset.segments[["segment_id", "site_id"]], on="segment_id")
    codings["value"] = codings["level"].map(LEVEL_SCORES).astype("float64")
    codings["order"] = codings["level"].map({lvl: i for i, lvl in enumerate(LEVELS)})
    codings = codings.sort_values(["segment_id", "order"])
    per_segment = codings.groupby(["segment_id", "site_id"], sort=False).agg(
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


def bootstrap_ci(values, samples: int = BOOTSTRAP_SAMPLES, seed: int = BOOTSTRAP_SEED) -> tuple[float, float]:
    """Percentile 95% interval of the mean of `values`, resampled with a fixed seed (NaN if empty)."""
    values = np.asarray(values, dtype="float64")
    if values.size == 0:
        return np.nan, np.nan
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, values.size, size=(samples, values.size))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


def embeddedness(dataset: Dataset) -> pd.DataFrame:
    """embeddedness.csv rows: one per site of the dataset, in dataset order."""
    scored = coded_segments(dataset)
    rows = []
    for site_id in dataset.site_ids:
        values = scored.loc[scored["site_id"] == site_id, "score"].to_numpy()
        score = float(values.mean()) if values.size else np.nan
        low, high = bootstrap_ci(values)
        rows.append({"site_id": site_id, "n_segments": int(values.size), "score": score,
                     "ci95_low": low, "ci95_high": high, "position": position(score)})
    return pd.DataFrame(rows, columns=list(COLUMNS))


def level_counts(dataset: Dataset) -> pd.DataFrame:
    """Segments per level (columns, continuum order) for each site (rows)."""
    scored = coded_segments(dataset)
    exploded = scored.assign(level=scored["levels"].str.split(", ")).explode("level")
    table = pd.crosstab(exploded["site_id"], exploded["level"])
    return table.reindex(index=dataset.site_ids, columns=list(LEVELS), fill_value=0).rename_axis(
        index="site_id", columns=None)


def phrase(row) -> str:
    """A row of embeddedness.csv in words, e.g. 'bolted on (score -0.75, 95% CI -0.94 to -0.53; 32 segments)'."""
    if row["position"] == NO_EVIDENCE:
        return "not placed: no segment at this site was coded with a level of embeddedness"
    return (f"{LEVEL_NAMES[row['position']]} (score {row['score']:+.2f}, 95% CI {row['ci95_low']:+.2f} to "
            f"{row['ci95_high']:+.2f}; {int(row['n_segments'])} segments)")
