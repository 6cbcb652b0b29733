"""Calibration of the book's 95% intervals and tests, by simulation on synthetic replicates.

Each replicate is a seven-site dataset of the "null" scenario of `linkbook synth`
(no planted change in the questionnaires, no GP level change; the pre-referral
run-up and the calendar trend stay), so every estimand is known:

- questionnaire changes: mean, median and standardised change 0;
- GP comparisons: level change 1, anticipation the planted ratio, and the naive
  and baseline-anchored ratios the expected ratio of the design's mean counts
  (run-up and calendar trend, computed from each patient's own months).

The statistics functions run directly on the generated tables (not the book),
one replicate per seed. Coverage is the share of replicates whose interval
holds the truth; type I error the share of tests with p < 0.05; each with its
Monte Carlo standard error sqrt(p (1 - p) / R).

Usage (run under `nice -n 19` on a shared machine):
  .venv/bin/python benchmarks/calibration.py --replicates 500 --gp-replicates 200
writes benchmarks/calibration_runs.csv (per replicate and statistic: hits and evaluations),
data/reference/calibration.csv (the summary the book shows) and prints it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from helpers.analysis import missing_data as M
from helpers.analysis import small_sample as S
from helpers.analysis.gp_change import patient_months, pooled_rows, site_estimates
from helpers.analysis.outcomes import adjust_p_values
from helpers.analysis.rules import GP_BASELINE_MONTHS, GP_WINDOW_MONTHS, MIN_PAIRS, PRIMARY_OUTCOMES
from helpers.analysis.scoring import MEASURES, scores
from helpers.report.tables import CALIBRATION_LABELS as LABELS
from helpers.synth import design as D
from helpers.synth import generate

ROOT = Path(__file__).resolve().parents[1]
FIRST_SEED = 1000  # replicate r uses seed FIRST_SEED + r (the embedded data use another seed)



def _t_interval(diff):
    n = len(diff)
    half = stats.t.ppf(0.975, n - 1) * diff.std(ddof=1) / math.sqrt(n)
    return diff.mean() - half, diff.mean() + half


def questionnaire_replicate(seed: int) -> list[tuple[str, str, float]]:
    """(statistic, kind, value) rows for one null replicate: kind "cover" (1/0) or "reject" (1/0)."""
    data = generate(7, seed, scenario="null")
    sc = scores(data.tables["questionnaires"])
    site_of = data.tables["participants"].set_index("participant_id")["site_id"]
    rows = []
    p_pooled = {}
    for measure in MEASURES:
        wide = sc[sc["measure"] == measure].pivot(index="participant_id", columns="wave", values="value")
        wide = wide.reindex(columns=[1, 2]).dropna()
        diff = (wide[2] - wide[1]).to_numpy(float)
        if len(diff) < MIN_PAIRS or np.ptp(diff) == 0:
            continue
        low, high = _t_interval(diff)
        rows.append(("change_t_pooled", "cover", float(low <= 0 <= high)))
        p = stats.ttest_1samp(diff, 0).pvalue
        p_pooled[measure] = p
        rows.append(("p_t_pooled", "reject", float(p < 0.05)))
        pratt = S.wilcoxon_pratt(diff)
        if np.isfinite(pratt):
            rows.append(("p_pratt_pooled", "reject", float(pratt < 0.05)))
        clustered = S.site_clustered_mean(pd.Series(diff), pd.Series(wide.index.map(site_of)))
        rows.append(("change_site_pooled", "cover", float(clustered["ci95"][0] <= 0 <= clustered["ci95"][1])))
        _, low, high = S.hodges_lehmann(diff)
        rows.append(("hl_pooled", "cover", float(low <= 0 <= high)))
        _, low, high = S.hedges_gz(diff)
        rows.append(("gz_pooled", "cover", float(low <= 0 <= high)))
        follow = M.baseline_and_follow_up(sc, measure)
        _, low, high = M.inverse_probability_weighted(follow)
        if np.isfinite(low):
            rows.append(("ipw_pooled", "cover", float(low <= 0 <= high)))
        means, variances, _ = M.imputed_changes(follow, imputations=20, seed=seed)
        _, low, high = M.rubin(means, variances, len(follow))
        rows.append(("mi_pooled", "cover", float(low <= 0 <= high)))
        sites = wide.index.map(site_of)
        for site in sorted(set(sites)):
            part = diff[np.asarray(sites == site)]
            if len(part) < MIN_PAIRS or np.ptp(part) == 0:
                continue
            low, high = _t_interval(part)
            rows.append(("change_t_site", "cover", float(low <= 0 <= high)))
            rows.append(("p_t_site", "reject", float(stats.ttest_1samp(part, 0).pvalue < 0.05)))
            _, low, high = S.hodges_lehmann(part)
            rows.append(("hl_site", "cover", float(low <= 0 <= high)))
    measures = pd.Series(list(p_pooled))
    holm, _ = adjust_p_values(pd.Series(list(p_pooled.values())), measures, pooled=True)
    primary = holm[measures.isin(PRIMARY_OUTCOMES)]
    if len(primary):
        rows.append(("holm_primary_any", "reject", float((primary < 0.05).any())))
    return rows


def _expected_ratio(months: pd.DataFrame, before: tuple[int, int], after: tuple[int, int]) -> float:
    """Design mean count ratio after / before (level 1, frailty 1) over the patients of ``months``."""
    start = pd.Timestamp(D.GP_EXTRACT_START)
    years = months["calendar"] - (start - pd.Timestamp("2000-01-01")).days / 365.25
    antic = np.where(months["month"].between(-D.GP["anticipation_months"], -1), D.GP["anticipation_rate_ratio"], 1)
    mean = months["days"] * antic * np.exp(D.GP["calendar_log_trend_per_year"] * years)
    b = mean[months["month"].between(*before)].sum()
    a = mean[months["month"].between(*after)].sum()
    return float(a / b)


def gp_replicate(seed: int) -> list[tuple[str, str, float]]:
    """(statistic, kind, value) rows of the GP comparisons for one null replicate."""
    data = generate(7, seed, scenario="null")
    gp, pts, meta = data.tables["gp_contacts"], data.tables["participants"], data.metadata
    extract = dict(extract_start=meta["gp_extract_start"], extract_end=meta["gp_extract_end"])
    pts = pts[pts["group"] == "patient"]
    months = patient_months(gp, pts, **extract)
    w = GP_WINDOW_MONTHS
    a, b = GP_BASELINE_MONTHS
    full = months.groupby("participant_id")["days"].transform("size") == 2 * months["month"].abs().max()
    truth = {
        "window_naive": _expected_ratio(months[full], (-w, -1), (1, w)),
        "baseline_anchored": _expected_ratio(months[full], (a, b), (1, w)),
        "anticipation": D.GP["anticipation_rate_ratio"],
        "level_change": 1.0,
    }
    estimates = pd.concat([site_estimates(gp, pts[pts["site_id"] == s], w, **extract).assign(site_id=s)
                           for s in sorted(pts["site_id"].unique())], ignore_index=True)
    rows = []
    for r in pooled_rows(estimates).itertuples():
        if np.isfinite(r.ci95_low):
            rows.append((f"gp_{r.comparison}_pooled", "cover", float(r.ci95_low <= truth[r.comparison] <= r.ci95_high)))
            if r.comparison == "level_change":
                rows.append(("gp_level_change_pooled_test", "reject", float(not r.ci95_low <= 1 <= r.ci95_high)))
    crit = estimates.assign(t=stats.t.ppf(0.975, estimates["df"].clip(lower=1)))
    for comparison in ("window_naive", "level_change"):
        part = crit[(crit["comparison"] == comparison) & np.isfinite(crit["se"])]
        for r in part.itertuples():
            low, high = math.exp(r.log_rr - r.t * r.se), math.exp(r.log_rr + r.t * r.se)
            rows.append((f"gp_{comparison}_site", "cover", float(low <= truth[comparison] <= high)))
    return rows


def summarise(runs: pd.DataFrame) -> pd.DataFrame:
    """Per statistic: kind, target, replicates, measured share, Monte Carlo SE."""
    out = []
    for (stat, kind), part in runs.groupby(["statistic", "kind"], sort=False):
        p = part["value"].mean()
        n = len(part)
        out.append({"statistic": stat, "label": LABELS[stat], "kind": "coverage" if kind == "cover" else "type I error",
                    "target": 0.95 if kind == "cover" else 0.05, "replicates": part["seed"].nunique(),
                    "evaluations": n, "measured": round(p, 4), "mc_se": round(math.sqrt(p * (1 - p) / n), 4)})
    return pd.DataFrame(out)


def run(replicates: int, gp_replicates: int, log=print, checkpoint=None) -> pd.DataFrame:
    """Every replicate's rows; ``checkpoint(runs)`` is called every 25 replicates (partial results)."""
    rows = []

    def frame():
        return pd.DataFrame(rows, columns=["seed", "statistic", "kind", "value"])

    for parts, count in ((questionnaire_replicate, replicates), (gp_replicate, gp_replicates)):
        started = time.time()
        for r in range(count):
            seed = FIRST_SEED + r
            rows += [(seed, *row) for row in parts(seed)]
            if (r + 1) % 25 == 0:
                log(f"{parts.__name__}: {r + 1}/{count} replicates, {time.time() - started:.0f} s")
                if checkpoint:
                    checkpoint(frame())
    return frame()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicates", type=int, default=500, help="questionnaire replicates")
    parser.add_argument("--gp-replicates", type=int, default=200, help="GP replicates (slower: GEE fits)")
    args = parser.parse_args(argv)
    started = time.time()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()

    def save(runs):
        source = (f"benchmarks/calibration.py, commit {commit}, {dt.date.today().isoformat()}, "
                  f"{platform.machine()} {platform.python_version()}, {time.time() - started:.0f} s")
        per_seed = runs.groupby(["seed", "statistic", "kind"], sort=False)["value"].agg(["sum", "count"])
        per_seed.reset_index().to_csv(ROOT / "benchmarks" / "calibration_runs.csv", index=False, lineterminator="\n")
        summary = summarise(runs).assign(source=source)
        summary.to_csv(ROOT / "data" / "reference" / "calibration.csv", index=False, lineterminator="\n")
        return summary

    summary = save(run(args.replicates, args.gp_replicates, checkpoint=save))
    print(summary.to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
