"""The published results tables against an independent computation.

The pipeline runs the real notebooks on the embedded dataset; the expected values
are recomputed here from the raw CSV files with scipy and dateutil, without the
helpers' statistics code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from dateutil.relativedelta import relativedelta
from scipy import stats

from support.pipeline import linkbook, make_project

from support import EMBEDDED

ONS = ["ons_life_satisfaction", "ons_worthwhile", "ons_happy", "ons_anxious"]
GSE = [f"gse_{i:02d}" for i in range(1, 11)]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    project = make_project(tmp_path_factory.mktemp("embedded"))
    completed = linkbook(project, "run", "--jobs", "2")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return {name: pd.read_csv(project / "results" / f"{name}.csv") for name in ("outcomes", "gp_contacts")}


def raw(table):
    return pd.read_csv(EMBEDDED / f"{table}.csv", keep_default_na=True)


def independent_scores() -> pd.DataFrame:
    q = raw("questionnaires")
    answered = q[GSE].notna().sum(axis=1)
    q["gse_total"] = np.where(answered >= 7, q[GSE].mean(axis=1) * 10, np.nan)
    q["site_id"] = q["participant_id"].str.split("-").str[0]
    return q


def expected_outcome(q: pd.DataFrame, measure: str) -> dict:
    wide = q.pivot(index="participant_id", columns="wave", values=measure).dropna()
    w1, w2 = wide[1].to_numpy(float), wide[2].to_numpy(float)
    out = {"n_pairs": len(wide), "mean_wave1": w1.mean(), "mean_wave2": w2.mean(), "mean_diff": (w2 - w1).mean()}
    if len(wide) >= 5:
        out["p_t"] = stats.ttest_rel(w2, w1).pvalue
        d = w2 - w1
        half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
        out["ci95_low"], out["ci95_high"] = d.mean() - half, d.mean() + half
    return out


@pytest.mark.parametrize("measure", ONS + ["gse_total"])
def test_outcomes_match_scipy_for_every_site_and_overall(results, measure):
    q = independent_scores()
    published = results["outcomes"].set_index(["site_id", "measure"])
    groups = [(site, rows) for site, rows in q.groupby("site_id")] + [("ALL", q)]
    checked = 0
    for site, rows in groups:
        if (site, measure) not in published.index:
            assert site == "ALL", f"no row for site {site}"
            continue
        row = published.loc[(site, measure)]
        for key, value in expected_outcome(rows, measure).items():
            assert row[key] == pytest.approx(value, rel=1e-6, abs=1e-9), (site, measure, key)
        checked += 1
    assert checked >= 7


def test_gp_window_counts_match_a_date_by_date_count(results):
    meta = yaml.safe_load((EMBEDDED / "dataset.yml").read_text())
    extract_end = pd.Timestamp(meta["gp_extract_end"]).date()
    people = raw("participants")
    patients = people[people["group"] == "patient"]
    contacts = raw("gp_contacts")
    contacts["contact_date"] = pd.to_datetime(contacts["contact_date"]).dt.date
    by_patient = contacts.groupby("participant_id")["contact_date"].apply(list).to_dict()
    rows = []
    for p in patients.itertuples():
        ref = pd.Timestamp(p.referral_date).date()
        if ref + relativedelta(months=6) > extract_end:
            continue
        dates = by_patient.get(p.participant_id, [])
        before = sum(ref - relativedelta(months=6) <= d < ref for d in dates)
        after = sum(ref < d <= ref + relativedelta(months=6) for d in dates)
        rows.append((p.site_id, before, after))
    expected = pd.DataFrame(rows, columns=["site_id", "before", "after"])
    published = results["gp_contacts"].set_index("site_id")
    for site, group in expected.groupby("site_id"):
        row = published.loc[site]
        assert row["n_patients"] == len(group)
        assert row["mean_before"] == pytest.approx(group["before"].mean())
        assert row["mean_after"] == pytest.approx(group["after"].mean())
        assert row["p_wilcoxon"] == pytest.approx(stats.wilcoxon(group["after"], group["before"]).pvalue, rel=1e-6)
        assert row["rate_ratio"] == pytest.approx(group["after"].sum() / group["before"].sum())
