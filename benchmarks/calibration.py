"""Calibration of the book's 95% intervals and tests, by simulation on synthetic replicates.

Each replicate is a seven-site dataset of the "null" scenario of `linkbook synth`
(no planted change in the questionnaires, no GP level change; the pre-referral
run-up and the calendar trend stay), so every estimand is known:

- questionnaire changes: mean, median and standardised change 0;
- GP comparisons: level change 1, slope change 1, anticipation the planted
  ratio, and the naive and baseline-anchored ratios the expected ratio of the
  design's mean counts (run-up and calendar trend, computed from each patient's
  own months).

Three variations check what the null cannot, since its sites are alike:

- ``*_hetero`` (questionnaires): each site's changes shifted by a normal draw
  per site and replicate (SD ``HETERO_SITE_SD`` times the SD of the changes),
  mean 0 over sites, so the estimand stays 0 but the sites differ;
- ``gp_*_pooled_hetero``: the planted scenario (site level ratios differ), the
  pooled target being truth.json's gp.level_rate_ratio;
- ``ipw_pooled`` / ``mi_pooled``: drop-out imposed on the complete pairs at
  random given the baseline score (``MAR_SLOPE``), the assumption of both
  methods; ``*_synth`` keep the generator's drop-out, which depends on the
  latent well-being rather than the observed baseline (not MAR given it).

Hodges-Lehmann rows are judged against the attained level of the exact
conditional signed-rank test at the truth (the mean over evaluations is the
row's target), since whole-number scores make exactly 95% unattainable.

The statistics functions run directly on the generated tables (not the book),
one replicate per seed. Coverage is the share of replicates whose interval
holds the truth; type I error the share of tests with p < 0.05; each with its
Monte Carlo standard error sqrt(p (1 - p) / R).

Usage (run under `nice -n 19` on a shared machine):
  .venv/bin/python benchmarks/calibration.py --replicates 500 --gp-replicates 500
or in parts, as separate processes, then merged:
  .venv/bin/python benchmarks/calibration.py --replicates 500 --gp-replicates 0 --raw /tmp/q.csv
  .venv/bin/python benchmarks/calibration.py --replicates 0 --gp-replicates 250 --raw /tmp/g1.csv
  .venv/bin/python benchmarks/calibration.py --replicates 0 --gp-replicates 250 --first 250 --raw /tmp/g2.csv
  .venv/bin/python benchmarks/calibration.py --merge /tmp/q.csv /tmp/g1.csv /tmp/g2.csv
(``--reuse OLD_RUNS.csv`` fills in seeds from an earlier run for statistics whose code did not change,
checked seed by seed against the seeds both computed.)
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
from helpers.analysis.scoring import LOWER_IS_BETTER, MEASURES, scores
from helpers.report.tables import CALIBRATION_LABELS as LABELS
from helpers.synth import design as D
from helpers.synth import generate

ROOT = Path(__file__).resolve().parents[1]
FIRST_SEED = 1000  # replicate r uses seed FIRST_SEED + r (the embedded data use another seed)


# Rows that check what goes wrong when an interval's assumption fails: they are expected to miss.
ASSUMPTION_FAILS = {
    "change_t_pooled_hetero": "patients treated as independent while the sites differ",
    "ipw_pooled_synth": "drop-out depends on latent well-being, not MAR given the observed baseline",
    "mi_pooled_synth": "drop-out depends on latent well-being, not MAR given the observed baseline",
}
HETERO_SITE_SD = 0.4  # sites differing: each site's changes shifted by N(0, (this * SD of the changes)^2)
MAR_SLOPE = 1.0  # MAR drop-out imposed on the complete pairs: logit P(follow-up) = 0.5 + this * z(baseline)


def _t_interval(diff):
    n = len(diff)
    half = stats.t.ppf(0.975, n - 1) * diff.std(ddof=1) / math.sqrt(n)
    return diff.mean() - half, diff.mean() + half


def _hl_rows(name: str, diff: np.ndarray) -> list[tuple]:
    """Hodges-Lehmann coverage of 0, judged against the interval's attained level at 0."""
    _, low, high, _ = S.hodges_lehmann(diff)
    level = S.hodges_lehmann_level(diff, 0.0)
    cut = max(0.05, 2.0 ** (1 - len(diff)))
    # an end of the interval is a Walsh average the test may reject: then 0 there is not covered
    inside = low < 0 < high or (low <= 0 <= high and S.signed_rank_exact(diff, cut)[0] > cut + 1e-12)
    return [(name, "cover", float(inside), level)]


def _mar_follow_up(follow: pd.DataFrame, measure: str, rng) -> pd.DataFrame:
    """The complete pairs with drop-out imposed at random given the baseline score (MAR holds)."""
    pairs = follow.dropna()
    z = (pairs["wave1"] - pairs["wave1"].mean()) / pairs["wave1"].std()
    worse = 1.0 if measure in LOWER_IS_BETTER else -1.0  # drop-out likelier at a worse baseline
    kept = rng.random(len(pairs)) < 1 / (1 + np.exp(-(0.5 - worse * MAR_SLOPE * z.to_numpy())))
    return pairs.assign(wave2=pairs["wave2"].where(kept))


def questionnaire_replicate(seed: int) -> list[tuple]:
    """(statistic, kind, value[, target]) rows for one null replicate: kind "cover" (1/0) or "reject" (1/0).

    target is the level a coverage row is judged against (95% unless given).
    """
    data = generate(7, seed, scenario="null")
    sc = scores(data.tables["questionnaires"])
    site_of = data.tables["participants"].set_index("participant_id")["site_id"]
    rng = np.random.default_rng(seed)
    rows = []
    p_pooled = {}
    for measure in MEASURES:
        wide = sc[sc["measure"] == measure].pivot(index="participant_id", columns="wave", values="value")
        wide = wide.reindex(columns=[1, 2]).dropna()
        diff = (wide[2] - wide[1]).to_numpy(float)
        if len(diff) < MIN_PAIRS or np.ptp(diff) == 0:
            continue
        sites = pd.Series(wide.index.map(site_of))
        low, high = _t_interval(diff)
        rows.append(("change_t_pooled", "cover", float(low <= 0 <= high)))
        p = stats.ttest_1samp(diff, 0).pvalue
        rows.append(("p_t_pooled", "reject", float(p < 0.05)))
        pratt = S.wilcoxon_pratt(diff)
        if np.isfinite(pratt):
            rows.append(("p_pratt_pooled", "reject", float(pratt < 0.05)))
        clustered = S.site_clustered_mean(pd.Series(diff), sites)
        rows.append(("change_site_pooled", "cover", float(clustered["ci95"][0] <= 0 <= clustered["ci95"][1])))
        if np.isfinite(clustered["p"]):
            p_pooled[measure] = clustered["p"]
            rows.append(("p_site_pooled", "reject", float(clustered["p"] < 0.05)))
        # sites that differ: a random shift per site, mean 0 over sites (the estimand stays 0)
        labels = sorted(set(sites))
        shift = dict(zip(labels, rng.normal(0, HETERO_SITE_SD * diff.std(ddof=1), len(labels))))
        hetero = diff + sites.map(shift).to_numpy(float)
        low, high = _t_interval(hetero)
        rows.append(("change_t_pooled_hetero", "cover", float(low <= 0 <= high)))
        fit = S.site_clustered_mean(pd.Series(hetero), sites)
        rows.append(("change_site_pooled_hetero", "cover", float(fit["ci95"][0] <= 0 <= fit["ci95"][1])))
        rows += _hl_rows("hl_pooled", diff)
        _, low, high = S.hedges_gz(diff)
        rows.append(("gz_pooled", "cover", float(low <= 0 <= high)))
        follow = M.baseline_and_follow_up(sc, measure)
        for suffix, part in (("_synth", follow), ("", _mar_follow_up(follow, measure, rng))):
            _, low, high = M.inverse_probability_weighted(part)
            if np.isfinite(low):
                rows.append((f"ipw_pooled{suffix}", "cover", float(low <= 0 <= high)))
            if part["wave2"].notna().sum() >= 3 and part["wave2"].isna().any():
                means, variances, _ = M.imputed_changes(part, imputations=20, seed=seed)
                _, low, high = M.rubin(means, variances, len(part))
                rows.append((f"mi_pooled{suffix}", "cover", float(low <= 0 <= high)))
        for site in labels:
            part = diff[(sites == site).to_numpy()]
            if len(part) < MIN_PAIRS or np.ptp(part) == 0:
                continue
            low, high = _t_interval(part)
            rows.append(("change_t_site", "cover", float(low <= 0 <= high)))
            rows.append(("p_t_site", "reject", float(stats.ttest_1samp(part, 0).pvalue < 0.05)))
            rows += _hl_rows("hl_site", part)
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


def _gp_estimates(data) -> pd.DataFrame:
    gp, pts, meta = data.tables["gp_contacts"], data.tables["participants"], data.metadata
    extract = dict(extract_start=meta["gp_extract_start"], extract_end=meta["gp_extract_end"])
    pts = pts[pts["group"] == "patient"]
    return pd.concat([site_estimates(gp, pts[pts["site_id"] == s], GP_WINDOW_MONTHS, **extract).assign(site_id=s)
                      for s in sorted(pts["site_id"].unique())], ignore_index=True)


def gp_replicate(seed: int) -> list[tuple]:
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
        "slope_change": D.GP["slope_rate_ratio"],
    }
    estimates = _gp_estimates(data)
    rows = []
    for r in pooled_rows(estimates).itertuples():
        if np.isfinite(r.ci95_low):
            rows.append((f"gp_{r.comparison}_pooled", "cover", float(r.ci95_low <= truth[r.comparison] <= r.ci95_high)))
            if r.comparison == "level_change":
                rows.append(("gp_level_change_pooled_test", "reject", float(not r.ci95_low <= 1 <= r.ci95_high)))
    crit = estimates.assign(t=stats.t.ppf(0.975, estimates["df"].clip(lower=1)))
    for comparison in ("window_naive", "level_change", "slope_change"):
        part = crit[(crit["comparison"] == comparison) & np.isfinite(crit["se"])]
        for r in part.itertuples():
            low, high = math.exp(r.log_rr - r.t * r.se), math.exp(r.log_rr + r.t * r.se)
            rows.append((f"gp_{comparison}_site", "cover", float(low <= truth[comparison] <= high)))
    return rows


def gp_hetero_replicate(seed: int) -> list[tuple]:
    """Pooled GP coverage where the sites truly differ (the planted scenario: site level ratios 0.76-1.76).

    The pooled target is truth.json's gp.level_rate_ratio, the geometric mean of the sites' planted ratios.
    """
    data = generate(7, seed)
    truth = {"anticipation": data.truth["gp"]["anticipation_rate_ratio"],
             "level_change": data.truth["gp"]["level_rate_ratio"],
             "slope_change": data.truth["gp"]["slope_rate_ratio"]}
    rows = []
    for r in pooled_rows(_gp_estimates(data)).itertuples():
        if r.comparison in truth and np.isfinite(r.ci95_low):
            rows.append((f"gp_{r.comparison}_pooled_hetero", "cover",
                         float(r.ci95_low <= truth[r.comparison] <= r.ci95_high)))
    return rows


def summarise(runs: pd.DataFrame) -> pd.DataFrame:
    """Per statistic: kind, target, replicates, measured share, Monte Carlo SE.

    A coverage target is 95%, or the mean attained level of the evaluations that give one.
    """
    out = []
    for (stat, kind), part in runs.groupby(["statistic", "kind"], sort=False):
        p = part["value"].mean()
        n = len(part)
        target = round(float(part["target"].fillna(0.95).mean()), 4) if kind == "cover" else 0.05
        out.append({"statistic": stat, "label": LABELS[stat], "kind": "coverage" if kind == "cover" else "type I error",
                    "target": target, "replicates": part["seed"].nunique(),
                    "evaluations": n, "measured": round(p, 4), "mc_se": round(math.sqrt(p * (1 - p) / n), 4)})
    return pd.DataFrame(out)


def run(replicates: int, gp_replicates: int, log=print, checkpoint=None, first: int = 0) -> pd.DataFrame:
    """Every replicate's rows (replicates first .. first + count - 1); ``checkpoint(runs)`` every 25 seeds."""
    rows = []

    def frame():
        return pd.DataFrame(rows, columns=["seed", "statistic", "kind", "value", "target"])

    # seed by seed, every part of a seed together, so that a run stopped early (the checkpoints)
    # has about as many replicates of each part
    started = time.time()
    for r in range(first, first + max(replicates, gp_replicates)):
        seed = FIRST_SEED + r
        parts = ((questionnaire_replicate,) if r < first + replicates else ()) + (
            (gp_replicate, gp_hetero_replicate) if r < first + gp_replicates else ())
        for part in parts:
            rows += [(seed, *row, *(() if len(row) == 4 else (np.nan,))) for row in part(seed)]
        if (r + 1 - first) % 25 == 0:
            log(f"{r + 1} seeds, {time.time() - started:.0f} s")
            if checkpoint:
                checkpoint(frame())
    return frame()


def save(runs: pd.DataFrame, source: str) -> pd.DataFrame:
    """Write benchmarks/calibration_runs.csv (per seed) and data/reference/calibration.csv (the summary)."""
    per_seed = runs.groupby(["seed", "statistic", "kind"], sort=False).agg(
        sum=("value", "sum"), count=("value", "count"), target=("target", "mean"))
    per_seed.reset_index().to_csv(ROOT / "benchmarks" / "calibration_runs.csv", index=False, lineterminator="\n")
    summary = summarise(runs).assign(source=source)
    summary.to_csv(ROOT / "data" / "reference" / "calibration.csv", index=False, lineterminator="\n")
    return summary


def reused_rows(runs: pd.DataFrame, earlier: pd.DataFrame, below_seed: int) -> pd.DataFrame:
    """Rows of an earlier per-seed runs file (seed, statistic, kind, sum, count) for seeds ``runs`` lacks.

    Only for statistics ``runs`` also has, without a per-evaluation target, whose every shared
    (seed, statistic) agrees exactly, at least 25 seeds of them: the seeds are deterministic, so agreement shows the code behind the
    statistic is unchanged. Returned as raw rows (``sum`` ones and ``count - sum`` zeros, no target).
    """
    mine = runs.groupby(["seed", "statistic", "kind"]).agg(sum=("value", "sum"), count=("value", "count")).reset_index()
    targeted = set(runs.loc[runs["target"].notna(), "statistic"])  # judged per evaluation: the earlier run had none
    earlier = earlier[earlier["statistic"].isin(set(mine["statistic"]) - targeted) & (earlier["seed"] < below_seed)]
    both = mine.merge(earlier, on=["seed", "statistic", "kind"], suffixes=("", "_earlier"))
    both["same"] = (both["sum"] == both["sum_earlier"]) & (both["count"] == both["count_earlier"])
    check = both.groupby("statistic").agg(seeds=("seed", "nunique"), same=("same", "all"))
    unchanged = sorted(check.index[check["same"] & (check["seeds"] >= 25)])
    print(f"reused from the earlier run: {', '.join(unchanged) or 'none'}; "
          f"not reused (a shared seed differs): {', '.join(sorted(check.index[~check['same']])) or 'none'}")
    earlier = earlier[earlier["statistic"].isin(unchanged)]
    have = mine.set_index(["seed", "statistic"]).index
    fill = earlier[~earlier.set_index(["seed", "statistic"]).index.isin(have)]
    rows = [(r.seed, r.statistic, r.kind, float(i < r.sum), np.nan)
            for r in fill.itertuples() for i in range(int(r.count))]
    return pd.DataFrame(rows, columns=["seed", "statistic", "kind", "value", "target"])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicates", type=int, default=500, help="questionnaire replicates")
    parser.add_argument("--gp-replicates", type=int, default=500,
                        help="GP replicates, null and sites differing each (slower: GEE fits)")
    parser.add_argument("--raw", type=Path, help="write only this run's raw rows here (to --merge later, so "
                        "that parts run as separate processes, e.g. --gp-replicates 0 and --replicates 0)")
    parser.add_argument("--first", type=int, default=0, help="first replicate (seed FIRST_SEED + first)")
    parser.add_argument("--merge", type=Path, nargs="+", help="summarise these --raw files instead of running")
    parser.add_argument("--reuse", type=Path, help="with --merge: an earlier calibration_runs.csv whose per-seed "
                        "rows fill in seeds the merged runs lack, for each statistic whose every seed both computed "
                        "agrees exactly (the code behind it is unchanged)")
    parser.add_argument("--reuse-up-to", type=int, default=500, help="reuse replicates below this many")
    args = parser.parse_args(argv)
    started = time.time()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()

    def source(seconds):
        return (f"benchmarks/calibration.py, commit {commit}, {dt.date.today().isoformat()}, "
                f"{platform.machine()} {platform.python_version()}, {seconds:.0f} s")

    if args.merge:
        parts = [pd.read_csv(path) for path in args.merge]
        seconds = sum(float(part["elapsed"].iloc[0]) for part in parts)
        runs = pd.concat([part.drop(columns="elapsed") for part in parts], ignore_index=True)
        note = f" in {len(parts)} processes"
        if args.reuse:
            earlier = reused_rows(runs, pd.read_csv(args.reuse), FIRST_SEED + args.reuse_up_to)
            note += (f"; seeds up to {FIRST_SEED + args.reuse_up_to - 1} of {earlier['statistic'].nunique()} "
                     f"statistics checked unchanged taken from an earlier run ({args.reuse.name})")
            runs = pd.concat([runs, earlier], ignore_index=True)
        summary = save(runs.sort_values("seed", kind="stable"), source(seconds) + note)
    elif args.raw:
        def raw(runs):
            runs.assign(elapsed=round(time.time() - started)).to_csv(args.raw, index=False, lineterminator="\n")
        runs = run(args.replicates, args.gp_replicates, checkpoint=raw, first=args.first)
        raw(runs)
        summary = summarise(runs)
    else:
        summary = save(run(args.replicates, args.gp_replicates,
                           checkpoint=lambda runs: save(runs, source(time.time() - started))),
                       source(time.time() - started))
    print(summary.to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
