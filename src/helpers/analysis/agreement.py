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
  (AGREEMENT_BOOTSTRAP_SAMPLES resamples, seed AGREEMENT_SEED). Every row uses
  the same resamples; overall, a segment is resampled with all of its codes, so
  codes of one segment stay together.

The ratings are kept sparse (who applied what, per segment), so time and
memory grow with the number of codings, not with segments x codes x coders.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from helpers.analysis.rules import AGREEMENT_BOOTSTRAP_SAMPLES, AGREEMENT_SEED
from helpers.data.dataset import Dataset

ALL_CODES = "ALL"
COLUMNS = ("code_id", "n_segments", "n_coders", "alpha", "alpha_ci95_low", "alpha_ci95_high", "kappa")
_DRAW_CELLS = 1 << 22  # bootstrap draws x segments held in memory at once


@dataclass(frozen=True)
class Ratings:
    """Who applied which code to each double-coded segment, kept sparse.

    ``took_part`` is coders x segments (1 where the coder coded the segment);
    ``applied[c]`` is coders x segments for code ``codes[c]``; ``ones`` is
    segments x codes (how many coders applied the code); ``coders_per_segment``
    is m, the coders who coded each segment.
    """

    segments: list
    codes: list
    n_coders: int
    took_part: sparse.csr_matrix
    applied: list
    ones: sparse.csc_matrix
    coders_per_segment: np.ndarray


def double_coded(codings: pd.DataFrame) -> Ratings | None:
    """The ratings of the segments coded by two or more coders; None when there are none.

    Per code every double-coded segment is a unit: 1 for a coder who applied
    the code, 0 for a coder who coded the segment without it, missing for a
    coder who did not code the segment.
    """
    rated = codings.dropna(subset=["coder"]).drop_duplicates(["segment_id", "code_id", "coder"])
    coders_per_segment = rated.groupby("segment_id")["coder"].nunique()
    shared = coders_per_segment.index[coders_per_segment >= 2]
    if shared.empty:
        return None
    rated = rated[rated["segment_id"].isin(shared)]
    segments, codes, coders = sorted(shared), sorted(rated["code_id"].unique()), sorted(rated["coder"].unique())
    s = pd.Index(segments).get_indexer(rated["segment_id"])
    c = pd.Index(codes).get_indexer(rated["code_id"])
    k = pd.Index(coders).get_indexer(rated["coder"])
    shape = (len(coders), len(segments))
    took_part = sparse.csr_matrix((np.ones(len(k)), (k, s)), shape=shape)
    took_part.data[:] = 1.0  # a coder with several codes on a segment took part once
    applied = [sparse.csr_matrix((np.ones(int(n)), (k[c == i], s[c == i])), shape=shape)
               for i, n in enumerate(np.bincount(c, minlength=len(codes)))]
    ones = sparse.csc_matrix((np.ones(len(s)), (s, c)), shape=(len(segments), len(codes)))
    m = coders_per_segment.reindex(segments).to_numpy(dtype="float64")
    return Ratings(segments, codes, len(coders), took_part, applied, ones, m)


def _alpha_from_terms(ones, zeros, disagreement):
    """Krippendorff's nominal alpha of binary values from summed unit terms: 1 - (n - 1) * D / (n1 * n0)."""
    ones, zeros, disagreement = (np.asarray(x, dtype="float64") for x in (ones, zeros, disagreement))
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = 1 - (ones + zeros - 1) * disagreement / (ones * zeros)
    return np.where(ones * zeros > 0, alpha, np.nan)


def _unit_totals(ratings: Ratings):
    """Per segment and code, the alpha terms: ones, and ones * zeros / (m - 1) (zeros are m - ones)."""
    ones = ratings.ones
    m = ratings.coders_per_segment[ones.indices]
    disagreement = ones.copy()
    disagreement.data = ones.data * (m - ones.data) / (m - 1)
    return ones, disagreement


def _bootstrap_alphas(ratings: Ratings, rng) -> np.ndarray:
    """Alpha over segment resamples: draws x (ALL, then each code)."""
    ones, disagreement = _unit_totals(ratings)
    n, n_codes = ones.shape
    m = ratings.coders_per_segment
    per_chunk = max(1, _DRAW_CELLS // n)
    alphas = []
    for start in range(0, AGREEMENT_BOOTSTRAP_SAMPLES, per_chunk):
        size = min(per_chunk, AGREEMENT_BOOTSTRAP_SAMPLES - start)
        counts = rng.multinomial(n, np.full(n, 1 / n), size=size).astype("float64")
        code_ones = (ones.T @ counts.T).T
        code_disagreement = (disagreement.T @ counts.T).T
        total_m = counts @ m
        pooled = _alpha_from_terms(code_ones.sum(axis=1), total_m * n_codes - code_ones.sum(axis=1),
                                   code_disagreement.sum(axis=1))
        by_code = _alpha_from_terms(code_ones, total_m[:, None] - code_ones, code_disagreement)
        alphas.append(np.column_stack([pooled, by_code]))
    return np.vstack(alphas)


def _percentile_interval(draws: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """2.5th and 97.5th percentiles of each column, ignoring draws where alpha is undefined."""
    low, high = np.full(draws.shape[1], np.nan), np.full(draws.shape[1], np.nan)
    defined = ~np.isnan(draws).all(axis=0)
    if defined.any():
        low[defined], high[defined] = np.nanpercentile(draws[:, defined], [2.5, 97.5], axis=0)
    return low, high


def _kappa(n, a, b, ab) -> np.ndarray:
    """Cohen's kappa of binary ratings from n units, a and b ones of each coder, ab ones of both."""
    observed = (n - a - b + 2 * ab) / n
    pa, pb = a / n, b / n
    expected = pa * pb + (1 - pa) * (1 - pb)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(expected < 1, (observed - expected) / (1 - expected), np.nan)


def _light(kappas: np.ndarray) -> float:
    kappas = kappas[~np.isnan(kappas)]
    return float(kappas.mean()) if kappas.size else np.nan


def _pair_values(matrix: sparse.csr_matrix, rows, cols) -> np.ndarray:
    return np.asarray(matrix[rows, cols], dtype="float64").ravel()


def _light_kappas(ratings: Ratings) -> np.ndarray:
    """Light's kappa (mean Cohen's kappa over coder pairs, each on the segments both coded): ALL, then each code."""
    took_part = ratings.took_part
    shared = sparse.triu(took_part @ took_part.T, k=1).tocoo()
    rows, cols, n = shared.row, shared.col, shared.data.astype("float64")
    n_codes = len(ratings.codes)
    by_code, sums = [], np.zeros((3, len(n)))
    for applied in ratings.applied:
        with_part = (applied @ took_part.T).tocsr()
        both = (applied @ applied.T).tocsr()
        counts = np.vstack([_pair_values(with_part, rows, cols), _pair_values(with_part, cols, rows),
                            _pair_values(both, rows, cols)])
        sums += counts
        by_code.append(_light(_kappa(n, *counts)))
    return np.array([_light(_kappa(n * n_codes, *sums))] + by_code)


def coder_agreement(dataset: Dataset) -> pd.DataFrame:
    """coder_agreement.csv rows: ALL first, then each code applied to a double-coded segment (codebook order).

    Empty (columns only) when no segment was coded by two or more coders.
    """
    ratings = double_coded(dataset.codings)
    if ratings is None:
        return pd.DataFrame(columns=list(COLUMNS))
    ones, disagreement = _unit_totals(ratings)
    total_m = ratings.coders_per_segment.sum()
    code_ones, code_disagreement = np.asarray(ones.sum(axis=0)).ravel(), np.asarray(disagreement.sum(axis=0)).ravel()
    alpha = np.concatenate([
        _alpha_from_terms([code_ones.sum()], [total_m * len(ratings.codes) - code_ones.sum()],
                          [code_disagreement.sum()]),
        _alpha_from_terms(code_ones, total_m - code_ones, code_disagreement)])
    low, high = _percentile_interval(_bootstrap_alphas(ratings, np.random.default_rng(AGREEMENT_SEED)))
    table = pd.DataFrame({"code_id": [ALL_CODES] + ratings.codes, "n_segments": len(ratings.segments),
                          "n_coders": ratings.n_coders, "alpha": alpha, "alpha_ci95_low": low,
                          "alpha_ci95_high": high, "kappa": _light_kappas(ratings)}, columns=list(COLUMNS))
    order = [ALL_CODES] + [c for c in dataset.codebook["code_id"] if c in set(ratings.codes)]
    return table.set_index("code_id").loc[order].reset_index()
