"""Alt text states each figure's result, computed here independently from the raw tables, for two
sites of the embedded data and a site of another seed; data tables hold the same numbers and
withhold what the disclosure policy withholds."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from support import EMBEDDED  # noqa: E402
from helpers.analysis import qualitative as Q, site_context  # noqa: E402
from helpers.analysis.cmoc import verdicts  # noqa: E402
from helpers.analysis.embeddedness import embeddedness  # noqa: E402
from helpers.analysis.gp_contacts import monthly_trajectory  # noqa: E402
from helpers.analysis.scoring import scores  # noqa: E402
from helpers.data.dataset import load_dataset  # noqa: E402
from helpers.report import figure_notes as notes  # noqa: E402
from helpers.report.disclosure import Policy  # noqa: E402
from helpers.synth import write_dataset  # noqa: E402

OPEN = Policy(threshold=1)


@pytest.fixture(scope="module")
def embedded():
    return load_dataset(EMBEDDED)


@pytest.fixture(scope="module")
def other_seed(tmp_path_factory):
    return load_dataset(write_dataset(tmp_path_factory.mktemp("seed"), n_sites=3, seed=2718))


def sites(embedded, other_seed):
    return [embedded.for_site("S1"), embedded.for_site("S3"), other_seed.for_site(other_seed.site_ids[0])]


def test_time_use_alt_text_states_each_activitys_share_and_differs_between_sites(embedded, other_seed):
    alts = []
    for site in sites(embedded, other_seed):
        observed = site.observations
        minutes = observed.groupby("activity")["minutes"].sum()
        alt = notes.time_use_alt_phrase(site_context.time_use(observed), observed["date"].nunique())
        assert f"{int(minutes.sum()):,} observed minutes over {observed['date'].nunique()} days" in alt
        for activity, label in site_context.ACTIVITY_LABELS.items():
            assert f"{label} {round(100 * minutes.get(activity, 0) / minutes.sum())}%" in alt
        top = site_context.ACTIVITY_LABELS[minutes.idxmax()]
        assert alt.split("first: ")[1].startswith(top)
        alts.append(alt)
    assert len(set(alts)) == 3


def test_paired_alt_text_states_the_means_at_both_interviews(embedded, other_seed):
    for site in sites(embedded, other_seed):
        raw = site.questionnaires
        alt = notes.paired_alt_phrase(scores(raw), OPEN)
        table = notes.paired_data_table(scores(raw), OPEN)
        wide = raw.pivot(index="participant_id", columns="wave", values="ons_life_satisfaction").dropna()
        assert f"life satisfaction {wide[1].mean():.1f} to {wide[2].mean():.1f} ({len(wide)} patients)" in alt
        anxious = raw.pivot(index="participant_id", columns="wave", values="ons_anxious").dropna()
        assert (f"anxiety yesterday {anxious[1].mean():.1f} to {anxious[2].mean():.1f} ({len(anxious)} patients, "
                "lower is better)") in alt
        row = table.loc["Life satisfaction (0-10)"]
        assert row["mean at follow-up"] - row["mean at first interview"] == pytest.approx(row["change"], abs=0.011)


def test_what_the_policy_withholds_the_alt_text_and_table_withhold(embedded):
    site = embedded.for_site("S1")
    strict = Policy(threshold=1000)
    alt = notes.paired_alt_phrase(scores(site.questionnaires), strict)
    assert "not shown (fewer than 1000 patients)" in alt and " to " not in alt.split(":", 1)[1]
    table = notes.paired_data_table(scores(site.questionnaires), strict)
    assert table["mean at follow-up"].isna().all()
    assert (table["patients with both interviews"] == "fewer than 1000").all()


def test_trajectory_alt_text_gives_the_mean_before_and_after_referral(embedded, other_seed):
    for site, dataset in zip(sites(embedded, other_seed), (embedded, embedded, other_seed)):
        extract = dict(extract_start=dataset.metadata.gp_extract_start, extract_end=dataset.metadata.gp_extract_end)
        trajectory = monthly_trajectory(site.gp_contacts, site.participants, 12, 12, **extract)
        alt = notes.trajectory_alt_phrase(trajectory, OPEN)
        shown = trajectory.dropna(subset=["mean_contacts"])
        before = shown[shown["month"] < 0]
        assert f"{before['mean_contacts'].mean():.2f} a month on average in the {len(before)} months before" in alt
        peak = before.sort_values("mean_contacts", ascending=False, kind="stable").iloc[0]
        assert f"highest ({peak['mean_contacts']:.2f}) in month {int(peak['month'])}" in alt


def test_continuum_alt_text_places_each_site(embedded, other_seed):
    for dataset in (embedded, other_seed):
        rows = embeddedness(dataset)
        alt = notes.continuum_alt_phrase(rows)
        for r in rows.dropna(subset=["score"]).itertuples():
            assert f"{r.site_id} {r.score:+.2f} (95% interval {r.ci95_low:+.2f} to {r.ci95_high:+.2f}" in alt


def test_concept_and_verdict_alt_texts_count_what_the_tables_hold(embedded, other_seed):
    for dataset in (embedded, other_seed):
        shares = Q.concept_shares(dataset)
        holding = shares.loc["Holding (any)"]
        assert (f"Holding from {100 * holding.min():.0f}% ({holding.idxmin()}) to {100 * holding.max():.0f}% "
                f"({holding.idxmax()})") in notes.concept_alt_phrase(shares)
        overall = verdicts(dataset, overall=True)
        alt = notes.verdict_alt_phrase(overall)
        for verdict, n in overall["verdict"].value_counts().items():
            assert f"{n} {verdict} (" in alt
        grid = notes.verdict_data_table(verdicts(dataset), overall)
        assert list(grid.columns) == [*dataset.site_ids, "all sites"]
        first = overall.iloc[0]
        assert grid.loc[first["cmoc_id"], "all sites"] == (
            f"{first['verdict']} ({first['n_supports']}/{first['n_refutes']}/{first['n_refines']})")


def test_key_findings_alt_text_names_the_level_change_and_the_naive_ratio(embedded):
    pooled = pd.DataFrame({"measure": ["ons_life_satisfaction", "gse_total"], "n_pairs": [40, 40],
                           "mean_diff": [0.375, 2.7], "ci95_low": [0.0009, 1.72], "ci95_high": [0.75, 3.67]})
    gp = pd.DataFrame({"comparison": ["level_change", "window_naive"], "rate_ratio": [0.81, 0.69],
                       "ci95_low": [0.32, 0.44], "ci95_high": [2.07, 1.07], "n_patients": [61, 61]})
    alt = notes.key_findings_alt_phrase(pooled, gp, Policy(threshold=5))
    assert "life satisfaction +0.38 (95% CI 0.00 to 0.75)" in alt
    assert "the level change at referral (segmented model) 0.81 (95% CI 0.32 to 2.07)" in alt
    assert "the naive before-and-after comparison 0.69" in alt
    assert "worthwhile not shown" in alt  # a measure without a row is not invented


def test_data_dropdown_escapes_values_and_starts_closed():
    html = notes.figure_data_table(pd.DataFrame({"site": ["<img src=x onerror=alert(1)>"], "n": [3]}))._repr_html_()
    assert "<details" in html and " open" not in html.split(">")[0]
    assert "<img src=x" not in html and "&lt;img src=x" in html


def test_pasted_figure_prefixes_ids_names_the_svg_and_escapes_the_alt_text():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    html = notes.pasted_figure(fig, 'rate ratio "0.81" <b>', "Caption & more", "fig-a")
    assert 'role="img" aria-label="rate ratio &quot;0.81&quot; &lt;b&gt;"' in html
    assert "Caption &amp; more" in html and "<style" not in html
    ids = [part.split('"')[0] for part in html.split(' id="')[1:]]
    assert ids and all(i.startswith("fig-a") for i in ids)
