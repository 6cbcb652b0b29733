"""Inter-coder agreement (helpers.analysis.agreement) against the `krippendorff` package, statsmodels'
Cohen's kappa, a hand-worked example and the agreement planted by the generator."""

from __future__ import annotations

import json
from itertools import combinations
from types import SimpleNamespace
from dataclasses import replace

import krippendorff
import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.inter_rater import cohens_kappa

from support import EMBEDDED
from helpers.analysis.agreement import coder_agreement, double_coded
from helpers.data.dataset import load_dataset, validate_dataset
from helpers.synth import design as D
from helpers.synth import write_dataset


@pytest.fixture(scope="module")
def dataset():
    return load_dataset(EMBEDDED)


def _kappa_statsmodels(a, b) -> float:
    table = pd.crosstab(pd.Series(a), pd.Series(b)).reindex(index=[0, 1], columns=[0, 1], fill_value=0)
    return float(cohens_kappa(table.to_numpy()).kappa)


def _codings_from_ratings(ratings: np.ndarray, code="x") -> tuple[SimpleNamespace, str]:
    """codings.csv rows for a units x coders matrix of 1/0/NaN: each unit a segment, each column a coder.

    A coder who rated a unit codes its segment with the filler code "f" (taking part) and adds `code`
    where the rating is 1; NaN leaves the segment to the other coders.
    """
    rows = []
    for unit, values in enumerate(ratings):
        for coder, value in enumerate(values):
            if not np.isnan(value):
                rows.append((f"G{unit:03d}", "f", f"K{coder}"))
                if value == 1:
                    rows.append((f"G{unit:03d}", code, f"K{coder}"))
    codings = pd.DataFrame(rows, columns=["segment_id", "code_id", "coder"])
    return SimpleNamespace(codings=codings, codebook=pd.DataFrame({"code_id": ["f", code]})), code


def _light_kappa_statsmodels(ratings: np.ndarray) -> float:
    kappas = []
    for i, j in combinations(range(ratings.shape[1]), 2):
        both = ~np.isnan(ratings[:, i]) & ~np.isnan(ratings[:, j])
        if both.any() and np.unique(ratings[both][:, [i, j]]).size > 1:
            kappas.append(_kappa_statsmodels(ratings[both, i].astype(int), ratings[both, j].astype(int)))
    kappas = [k for k in kappas if not np.isnan(k)]
    return float(np.mean(kappas)) if kappas else np.nan


def test_hand_worked_alpha_and_kappa():
    # 10 segments, two coders: both apply the code to 4, neither to 4, coder 1 only to 2.
    # Coincidences: o11 = 8, o00 = 8, o10 = o01 = 2, n1 = 10, n0 = 10, n = 20;
    # alpha = 1 - (n - 1) * o10 / (n1 * n0) = 1 - 19 * 2 / 100 = 0.62.
    # kappa: po = 0.8, pe = 0.6 * 0.4 + 0.4 * 0.6 = 0.48, kappa = 0.32 / 0.52.
    first = [1] * 6 + [0] * 4
    second = [1] * 4 + [0] * 6
    data, code = _codings_from_ratings(np.column_stack([first, second]).astype(float))
    row = coder_agreement(data).set_index("code_id").loc[code]
    assert row["alpha"] == pytest.approx(0.62)
    assert row["kappa"] == pytest.approx(0.32 / 0.52)
    assert row["n_segments"] == 10 and row["n_coders"] == 2


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_matches_the_krippendorff_package_and_statsmodels_with_missing_values(seed):
    rng = np.random.default_rng(seed)
    n_coders = 3 + seed % 2
    ratings = rng.integers(0, 2, size=(60, n_coders)).astype(float)
    ratings[rng.random((60, n_coders)) < 0.3] = np.nan
    data, code = _codings_from_ratings(ratings)
    table = coder_agreement(data).set_index("code_id")
    assert table.loc[code, "alpha"] == pytest.approx(
        krippendorff.alpha(reliability_data=ratings.T, level_of_measurement="nominal"))
    assert table.loc[code, "kappa"] == pytest.approx(_light_kappa_statsmodels(ratings))
    # ALL: the units are (segment, code) pairs; the filler code is 1 for every coder who took part.
    pairable = (~np.isnan(ratings)).sum(axis=1) >= 2
    pooled = np.vstack([ratings[pairable], np.where(np.isnan(ratings[pairable]), np.nan, 1.0)])
    assert table.loc["ALL", "alpha"] == pytest.approx(
        krippendorff.alpha(reliability_data=pooled.T, level_of_measurement="nominal"))
    assert table.loc["ALL", "kappa"] == pytest.approx(_light_kappa_statsmodels(pooled))


def test_no_variation_gives_nan():
    data, code = _codings_from_ratings(np.ones((5, 2)))
    row = coder_agreement(data).set_index("code_id").loc[code]
    assert np.isnan(row["alpha"]) and np.isnan(row["kappa"]) and np.isnan(row["alpha_ci95_low"])


def test_many_segments_codes_and_coders_stay_sparse():
    # 5,000 segments, 200 codes, 150 coders: a dense segments x codes x coders array would hold
    # 150 million cells; the sparse ratings hold one entry per coding.
    rng = np.random.default_rng(7)
    segment = np.repeat(np.arange(5000), 4)
    codings = pd.DataFrame({"segment_id": [f"G{s}" for s in segment],
                            "code_id": [f"c{c:03d}" for c in rng.integers(0, 200, segment.size)],
                            "coder": [f"K{k}" for k in rng.integers(0, 150, segment.size)]})
    data = SimpleNamespace(codings=codings, codebook=pd.DataFrame({"code_id": [f"c{c:03d}" for c in range(200)]}))
    table = coder_agreement(data)
    ratings = double_coded(codings)
    assert ratings.took_part.nnz <= len(codings) and sum(a.nnz for a in ratings.applied) <= len(codings)
    assert len(table) == 201 and table["code_id"].iloc[0] == "ALL"
    assert table["alpha"].abs().max() < 0.2  # coders applying codes at random agree no better than chance


def _independent_ratings(dataset):
    """Per (segment, code) over double-coded segments, coder -> 0/1, built from the raw file."""
    codings = pd.read_csv(EMBEDDED / "codings.csv", dtype=str)
    coders = codings.groupby("segment_id")["coder"].nunique()
    shared = set(coders.index[coders >= 2])
    rows = codings[codings["segment_id"].isin(shared)]
    applied = set(map(tuple, rows[["segment_id", "code_id", "coder"]].to_numpy()))
    units = [(s, c) for s in sorted(shared) for c in sorted(set(rows["code_id"]))]
    return units, {coder: [int((s, c, coder) in applied) for s, c in units] for coder in ("C1", "C2")}


def test_embedded_agreement_recomputed_with_krippendorff_and_statsmodels(dataset):
    result = coder_agreement(dataset).set_index("code_id")
    units, ratings = _independent_ratings(dataset)
    data = np.array([ratings["C1"], ratings["C2"]], dtype=float)
    assert result.loc["ALL", "alpha"] == pytest.approx(krippendorff.alpha(reliability_data=data,
                                                                            level_of_measurement="nominal"))
    assert result.loc["ALL", "kappa"] == pytest.approx(_kappa_statsmodels(ratings["C1"], ratings["C2"]))
    n_shared = len({s for s, _ in units})
    assert result.loc["ALL", "n_segments"] == n_shared and result.loc["ALL", "n_coders"] == 2
    codes = np.array([c for _, c in units])
    for code in ("holding.waiting", "anchor_point.trust", "embeddedness.bolted_on"):
        mine = data[:, codes == code]
        if np.unique(mine).size < 2:
            continue
        assert result.loc[code, "alpha"] == pytest.approx(
            krippendorff.alpha(reliability_data=mine, level_of_measurement="nominal"))
        assert result.loc[code, "kappa"] == pytest.approx(_kappa_statsmodels(mine[0], mine[1]))
    ok = result.dropna(subset=["alpha"])
    assert ((ok["alpha_ci95_low"] <= ok["alpha"] + 1e-12) & (ok["alpha"] <= ok["alpha_ci95_high"] + 1e-12)).all()


def test_agreement_planted_by_the_generator(dataset):
    # The second coder keeps each lead code with probability k and adds none. Over the pooled units the
    # expected table is: both = p*k, lead only = p*(1-k), neither = 1 - p, where p is the share of units
    # the lead coder applied; kappa follows from it. The realised counts are in truth.json.
    truth = json.loads((EMBEDDED / "truth.json").read_text())["coder_agreement"]
    kept = sum(s["lead_codes_kept"] for s in truth["by_site"].values())
    dropped = sum(s["lead_codes_dropped"] for s in truth["by_site"].values())
    assert kept / (kept + dropped) == pytest.approx(truth["second_coder_keep"], abs=0.05)
    units, ratings = _independent_ratings(dataset)
    assert sum(ratings["C2"]) == kept and sum(ratings["C1"]) == kept + dropped
    p, k = (kept + dropped) / len(units), kept / (kept + dropped)
    po, pe = 1 - p * (1 - k), p * p * k + (1 - p) * (1 - p * k)
    assert coder_agreement(dataset).set_index("code_id").loc["ALL", "kappa"] == pytest.approx((po - pe) / (1 - pe))


def test_perfect_second_coder_gives_alpha_one_and_a_worse_one_less(tmp_path, monkeypatch):
    results = {}
    for keep in (1.0, 0.6):
        monkeypatch.setattr(D, "SECOND_CODER_KEEP", keep)
        folder = write_dataset(tmp_path / str(keep), n_sites=3, seed=5)
        data, problems = validate_dataset(folder)
        assert not problems
        results[keep] = coder_agreement(data).set_index("code_id").loc["ALL"]
    assert results[1.0]["alpha"] == 1.0 and results[1.0]["kappa"] == 1.0
    assert results[0.6]["alpha"] < 0.85 < results[1.0]["alpha_ci95_low"]


def test_without_a_second_coder_there_is_no_agreement_row(dataset):
    codings = dataset.codings.assign(coder=pd.Series([pd.NA] * len(dataset.codings), dtype="string"))
    plain = replace(dataset, tables={**dataset.tables, "codings": codings.drop_duplicates(["segment_id", "code_id"])})
    assert coder_agreement(plain).empty
    assert double_coded(plain.codings) is None


def test_segments_coded_by_one_coder_are_not_units(dataset):
    ratings = double_coded(dataset.codings)
    coders = dataset.codings.groupby("segment_id")["coder"].nunique()
    assert ratings.segments == sorted(coders.index[coders >= 2])
    assert ratings.took_part.nnz == 2 * len(ratings.segments)  # both coders coded every unit segment


def test_agreement_is_deterministic(dataset):
    pd.testing.assert_frame_equal(coder_agreement(dataset), coder_agreement(dataset))
