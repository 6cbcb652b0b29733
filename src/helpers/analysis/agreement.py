"""Inter-coder agreement on double-coded segments: Krippendorff's alpha and Cohen's kappa.

Rule (stated in the methods chapter):
- The unit is the segment. Only segments coded by two or more coders (the
  optional `coder` column of codings.csv) count; text nobody coded is never
  a unit, so agreement on uncoded text cannot inflate the figures.
- Per code, each double-coded segment is one unit and each coder's value is
  nominal: the code applied (1) or not (0).
- Overall ("ALL"), the units are (segment, code) pairs over the double-coded
  segments and every code any coder applied to at least one of them.
- Alpha is Krippendorff's nominal alpha (coincidence matrix; a coder who did
  not code a segment is missing for it). Kappa is Cohen's kappa for two coders;
  with more coders, the mean over every pair of coders (Light's kappa), each
  pair on the segments both coded. Either is NaN when the values never vary.
- The 95% interval of alpha is a percentile bootstrap over segments
  (AGREEMENT_BOOTSTRAP_SAMPLES resamples, seed AGREEMENT_SEED); overall, a
  segment is resampled with all of its codes, so codes of one segment stay
  together.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from helpers.analysis.rules import AGREEMENT_BOOTSTRAP_SAMPLES, AGREEMENT_SEED
from helpers.data.dataset import Dataset

ALL_CODES = "ALL"
COLUMNS = ("code_id", "n_segments", "n_coders", "alpha", "alpha_ci95_low", "alpha_ci95_high", "kappa")


def double_coded(codings: pd.DataFrame) -> pd.DataFrame:
    """Binary ratings of the double-coded segments: index (segment_id, code_id), one column per coder.

    1 = the coder applied the code, 0 = the coder coded the segment but not with
    this code, NaN = the coder did not code the segment. Codes are every code
    applied to any double-coded segment; the segment's rows for codes nobody
    applied are left out.
    """
    rated = codings.dropna(subset=["coder"]).drop_duplicates(["segment_id", "code_id", "coder"])
    coders_per_segment = rated.groupby("segment_id")["coder"].nunique()
    shared = coders_per_segment.index[coders_per_segment >= 2]
    rated = rated[rated["segment_id"].isin(shared)]
    coders = sorted(rated["coder"].unique())
    codes = sorted(rated["code_id"].unique())
    index = pd.MultiIndex.from_product([sorted(shared), codes], names=["segment_id", "code_id"])
    applied = rated.assign(value=1.0).pivot_table(index=["segment_id", "code_id"], columns="coder", values="value",
                                                  aggfunc="max").reindex(index=index, columns=coders)
    coded = rated.drop_duplicates(["segment_id", "coder"]).assign(value=True).pivot(
        index="segment_id", columns="coder", values="value").reindex(columns=coders).fillna(False)
    took_part = coded.reindex(index.get_level_values("segment_id")).to_numpy(dtype=bool)
    values = np.where(took_part, np.nan_to_num(applied.to_numpy(), nan=0.0), np.nan)
    return pd.DataFrame(values, index=index, columns=pd.Index(coders, name="coder"))


def _unit_terms(ratings: np.ndarray) -> np.ndarray:
    """Per unit (rows of a units x coders 0/1/NaN array): ones, zeros and ones*zeros/(m-1); unpairable units zero."""
    ones = np.nansum(ratings == 1, axis=1).astype("float64")
    zeros = np.nansum(ratings == 0, axis=1).astype("float64")
    m = ones + zeros
    pairable = m >= 2
    disagreement = np.where(pairable, ones * zeros / np.where(pairable, m - 1, 1), 0.0)
    return np.column_stack([np.where(pairable, ones, 0), np.where(pairable, zeros, 0), disagreement])


def _alpha_from_terms(terms: np.ndarray) -> np.ndarray:
    """Alpha from summed unit terms (..., 3): 1 - (n - 1) * sum(ab/(m-1)) / (n1 * n0)."""
    ones, zeros, disagreement = terms[..., 0], terms[..., 1], terms[..., 2]
    n = ones + zeros
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = 1 - (n - 1) * disagreement / (ones * zeros)
    return np.where(ones * zeros > 0, alpha, np.nan)


def krippendorff_alpha(ratings: np.ndarray) -> float:
    """Nominal alpha of binary ratings (units x coders; 1, 0 or NaN for missing)."""
    return float(_alpha_from_terms(_unit_terms(np.asarray(ratings, dtype="float64")).sum(axis=0)))


def cohen_kappa(first, second) -> float:
    """Cohen's kappa of two coders' paired binary ratings (NaN when neither varies)."""
    a, b = np.asarray(first, dtype="float64"), np.asarray(second, dtype="float64")
    if a.size == 0:
        return np.nan
    observed = np.mean(a == b)
    p_a, p_b = a.mean(), b.mean()
    expected = p_a * p_b + (1 - p_a) * (1 - p_b)
    return float((observed - expected) / (1 - expected)) if expected < 1 else np.nan


def light_kappa(ratings: np.ndarray) -> float:
    """Mean Cohen's kappa over every pair of coders, each on the units both rated."""
    kappas = []
    for i, j in combinations(range(ratings.shape[1]), 2):
        both = ~np.isnan(ratings[:, i]) & ~np.isnan(ratings[:, j])
        if both.any():
            kappas.append(cohen_kappa(ratings[both, i], ratings[both, j]))
    kappas = [k for k in kappas if not np.isnan(k)]
    return float(np.mean(kappas)) if kappas else np.nan


def _bootstrap_alpha(terms_by_segment: np.ndarray, rng) -> tuple[float, float]:
    """Percentile interval of alpha over segments resampled with replacement (terms summed per segment)."""
    n = len(terms_by_segment)
    drawn = rng.integers(0, n, size=(AGREEMENT_BOOTSTRAP_SAMPLES, n))
    alphas = _alpha_from_terms(terms_by_segment[drawn].sum(axis=1))
    alphas = alphas[~np.isnan(alphas)]
    if alphas.size == 0:
        return np.nan, np.nan
    low, high = np.percentile(alphas, [2.5, 97.5])
    return float(low), float(high)


def _row(code_id: str, ratings: pd.DataFrame, rng) -> dict:
    values = ratings.to_numpy()
    terms = pd.DataFrame(_unit_terms(values), index=ratings.index.get_level_values("segment_id"))
    per_segment = terms.groupby(level=0, sort=True).sum().to_numpy()
    low, high = _bootstrap_alpha(per_segment, rng)
    return {"code_id": code_id, "n_segments": int(ratings.index.get_level_values("segment_id").nunique()),
            "n_coders": int(ratings.notna().any().sum()), "alpha": krippendorff_alpha(values),
            "alpha_ci95_low": low, "alpha_ci95_high": high, "kappa": light_kappa(values)}


def coder_agreement(dataset: Dataset) -> pd.DataFrame:
    """coder_agreement.csv rows: ALL first, then each code applied to a double-coded segment (codebook order).

    Empty (columns only) when no segment was coded by two or more coders.
    """
    ratings = double_coded(dataset.codings)
    if ratings.empty:
        return pd.DataFrame(columns=list(COLUMNS))
    rng = np.random.default_rng(AGREEMENT_SEED)
    rows = [_row(ALL_CODES, ratings, rng)]
    used = set(ratings.index.get_level_values("code_id"))
    for code_id in (c for c in dataset.codebook["code_id"] if c in used):
        rows.append(_row(code_id, ratings.xs(code_id, level="code_id", drop_level=False), rng))
    return pd.DataFrame(rows, columns=list(COLUMNS))
