"""A short run of the calibration harness (benchmarks/calibration.py): few replicates, loose bounds."""

import importlib.util

import pandas as pd
import pytest

from support import ROOT


@pytest.fixture(scope="module")
def calibration():
    spec = importlib.util.spec_from_file_location("calibration", ROOT / "benchmarks" / "calibration.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_short_calibration_run_is_roughly_calibrated(calibration):
    runs = calibration.run(6, 1, log=lambda *_: None)
    assert set(runs["statistic"]) >= {"gp_slope_change_pooled", "gp_level_change_pooled_hetero", "ipw_pooled_synth",
                                      "change_site_pooled_hetero", "p_site_pooled"}
    hl = runs[runs["statistic"] == "hl_site"]
    assert hl["target"].between(0.9, 1).all()  # each evaluation's attained level
    assert set(runs["value"]) <= {0.0, 1.0}
    summary = calibration.summarise(runs).set_index("statistic")
    assert set(summary.index) >= {"change_t_pooled", "change_site_pooled", "hl_pooled", "gz_pooled", "ipw_pooled",
                                  "mi_pooled", "change_t_site", "p_t_site", "gp_level_change_pooled",
                                  "gp_level_change_site"}
    assert set(summary.index) <= set(calibration.LABELS)
    coverage = summary[(summary["kind"] == "coverage") & (summary["evaluations"] >= 25)]
    assert len(coverage) >= 4 and (coverage["measured"] >= 0.8).all()
    assert summary.loc["p_t_site", "measured"] <= 0.2
    assert summary.loc["change_t_site", "replicates"] == 6


def test_committed_calibration_summary_meets_the_targets_it_reports(calibration):
    table = pd.read_csv(ROOT / "data" / "reference" / "calibration.csv")
    assert {"statistic", "label", "kind", "target", "replicates", "evaluations", "measured", "mc_se",
            "source"} <= set(table.columns)
    # Rows that show an assumption failing are meant to miss; every other interval covers within
    # 2 points of its target (95%, or the attained level of the rank intervals) up to three Monte
    # Carlo SE on the low side. (Some overcover, when sites are alike; the methods appendix says so.)
    checked = table[~table["statistic"].isin(calibration.ASSUMPTION_FAILS)]
    coverage = checked[checked["kind"] == "coverage"]
    low = coverage["measured"] < coverage["target"] - 0.02 - 3 * coverage["mc_se"]
    assert not low.any(), coverage.loc[low, ["statistic", "measured"]].to_string()
    tests = checked[checked["kind"] == "type I error"]
    high = tests["measured"] > 0.07 + 3 * tests["mc_se"]
    assert not high.any(), tests.loc[high, ["statistic", "measured"]].to_string()
    assert (table["replicates"] >= 100).all()
    # the planted failures do fail: the unclustered interval undercovers when sites differ
    failing = table.set_index("statistic").loc["change_t_pooled_hetero"]
    assert failing["measured"] < 0.93
