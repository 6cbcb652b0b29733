import numpy as np
import pandas as pd
import pytest
from scipy import stats

from helpers.analysis.gp_contacts import COLUMNS, monthly_trajectory, summarise_windows, window_counts

END = "2023-08-31"


def _patients(rows):
    """rows: (participant_id, referral_date); all patients of site S1."""
    return pd.DataFrame(
        {
            "participant_id": [r[0] for r in rows],
            "site_id": "S1",
            "group": "patient",
            "referral_date": pd.to_datetime([r[1] for r in rows]),
        }
    )


def _contacts(rows):
    """rows: (participant_id, contact_date)."""
    return pd.DataFrame(
        {
            "participant_id": [r[0] for r in rows],
            "contact_date": pd.to_datetime([r[1] for r in rows]),
            "contact_type": "face_to_face",
        }
    )


def _counts(counts):
    return counts.set_index("participant_id")[["n_before", "n_after"]].apply(tuple, axis=1).to_dict()


def test_window_boundaries():
    patients = _patients([("P1", "2022-05-15")])
    contacts = _contacts(
        [
            ("P1", "2021-11-14"),  # a day before referral - 6 months: out
            ("P1", "2021-11-15"),  # exactly referral - 6 months: before
            ("P1", "2022-05-14"),  # day before referral: before
            ("P1", "2022-05-15"),  # referral date: excluded
            ("P1", "2022-05-16"),  # day after: after
            ("P1", "2022-11-15"),  # exactly referral + 6 months: after
            ("P1", "2022-11-16"),  # a day later: out
        ]
    )
    out = window_counts(contacts, patients, extract_end=END)
    assert list(out.columns) == ["participant_id", "site_id", "n_before", "n_after"]
    assert _counts(out) == {"P1": (2, 2)}
    assert _counts(window_counts(contacts, patients, 3, extract_end=END)) == {"P1": (1, 1)}


def test_month_end_referral():
    # 31 August - 6 months = 28 February 2022; + 6 months = 28 February 2023.
    patients = _patients([("P1", "2022-08-31"), ("P2", "2023-02-28")])
    contacts = _contacts(
        [
            ("P1", "2022-02-27"),
            ("P1", "2022-02-28"),
            ("P1", "2023-02-28"),
            ("P1", "2023-03-01"),
            # 28 February 2023 - 6 months = 28 August 2022 (not the 31st)
            ("P2", "2022-08-27"),
            ("P2", "2022-08-28"),
        ]
    )
    assert _counts(window_counts(contacts, patients, extract_end="2023-08-31")) == {"P1": (1, 1), "P2": (1, 0)}


def test_leap_year_month_end_and_extract_end():
    # 31 August 2023 + 6 months = 29 February 2024: included only if the extract reaches it.
    patients = _patients([("P1", "2023-08-31")])
    contacts = _contacts([("P1", "2024-02-29"), ("P1", "2024-03-01")])
    assert _counts(window_counts(contacts, patients, extract_end="2024-02-29")) == {"P1": (0, 1)}
    assert window_counts(contacts, patients, extract_end="2024-02-28").empty


def test_who_is_included():
    participants = pd.concat(
        [
            _patients([("P1", "2022-01-10"), ("P2", "2023-02-28"), ("P3", "2023-03-01"), ("P4", None)]),
            pd.DataFrame(
                {"participant_id": ["H1"], "site_id": "S1", "group": "health_professional", "referral_date": [pd.NaT]}
            ),
        ],
        ignore_index=True,
    )
    contacts = _contacts([("P3", "2023-03-05"), ("P4", "2023-03-05"), ("H1", "2023-03-05"), ("X9", "2022-01-11")])
    out = window_counts(contacts, participants, extract_end=END)
    # P1 has no contacts but stays with zeros; P2's window ends exactly at the
    # extract end; P3's ends a day after it; P4 has no referral date.
    assert _counts(out) == {"P1": (0, 0), "P2": (0, 0)}
    assert out["n_before"].dtype == "int64"


def test_dates_of_any_unit_or_text():
    patients = _patients([("P1", "2022-05-15")])
    contacts = _contacts([("P1", "2021-11-15"), ("P1", "2022-11-15")])
    expected = {"P1": (1, 1)}
    patients_s = patients.assign(referral_date=patients["referral_date"].astype("datetime64[s]"))
    contacts_ms = contacts.assign(contact_date=contacts["contact_date"].astype("datetime64[ms]"))
    assert _counts(window_counts(contacts_ms, patients_s, extract_end=pd.Timestamp(END))) == expected
    as_text = contacts.assign(contact_date=contacts["contact_date"].dt.strftime("%Y-%m-%d"))
    assert _counts(window_counts(as_text, patients.astype({"referral_date": str}), extract_end=END)) == expected


def test_empty_inputs():
    no_contacts = pd.DataFrame(columns=["participant_id", "contact_date", "contact_type"])
    no_patients = pd.DataFrame(columns=["participant_id", "site_id", "group", "referral_date"])
    counts = window_counts(no_contacts, no_patients, extract_end=END)
    assert counts.empty and list(counts.columns) == ["participant_id", "site_id", "n_before", "n_after"]
    summary = summarise_windows(counts, "S1", 6)
    assert summary.loc[0, "n_patients"] == 0
    assert summary.drop(columns=["site_id", "window_months", "n_patients"]).isna().all(axis=None)
    trajectory = monthly_trajectory(no_contacts, no_patients, extract_end=END)
    assert list(trajectory["month"]) == [*range(-12, 0), *range(1, 13)]
    assert (trajectory["n_patients"] == 0).all() and trajectory["mean_contacts"].isna().all()


def _summary_counts(before, after):
    ids = [f"P{i}" for i in range(len(before))]
    return pd.DataFrame({"participant_id": ids, "site_id": "S1", "n_before": before, "n_after": after})


def test_summary_without_the_wilcoxon_test_keeps_everything_else():
    rng = np.random.default_rng(8)
    counts = _summary_counts(rng.poisson(3, 11), rng.poisson(2, 11))  # ties at n <= 13: the slow exact test
    full = summarise_windows(counts, "S1", 6).iloc[0]
    quick = summarise_windows(counts, "S1", 6, wilcoxon=False).iloc[0]
    assert np.isnan(quick["p_wilcoxon"]) and not np.isnan(full["p_wilcoxon"])
    assert quick.drop("p_wilcoxon").equals(full.drop("p_wilcoxon"))


def test_summary_matches_independent_computation():
    rng = np.random.default_rng(7)
    before = rng.poisson(3, 20)
    after = rng.poisson(2, 20)
    out = summarise_windows(_summary_counts(before, after), "S1", 6)
    assert list(out.columns) == list(COLUMNS)
    row = out.iloc[0]
    assert (row["site_id"], row["window_months"], row["n_patients"]) == ("S1", 6, 20)
    assert row["mean_before"] == pytest.approx(before.mean())
    assert row["mean_after"] == pytest.approx(after.mean())
    assert row["mean_diff"] == pytest.approx(after.mean() - before.mean())
    assert row["p_wilcoxon"] == pytest.approx(stats.wilcoxon(after, before, correction=True).pvalue)
    # Equal exposure: RR = sum(after) / sum(before). The sandwich variance of
    # log RR is sum(u_i**2) / n**2 with u_i = (a_i - mean a)/mean a - (b_i - mean b)/mean b
    # (delta method); the Mancl-DeRouen correction multiplies it by (n / (n - 1))**2;
    # the interval uses Student's t on n - 1 degrees of freedom.
    n = len(before)
    rr = after.sum() / before.sum()
    u = (after - after.mean()) / after.mean() - (before - before.mean()) / before.mean()
    se = np.sqrt((u**2).sum()) / (n - 1)
    z = stats.t.ppf(0.975, n - 1)
    assert row["rate_ratio"] == pytest.approx(rr)
    assert row["rr_ci95_low"] == pytest.approx(rr * np.exp(-z * se))
    assert row["rr_ci95_high"] == pytest.approx(rr * np.exp(z * se))


def test_summary_small_and_degenerate_samples():
    small = summarise_windows(_summary_counts([3, 1, 2, 5], [1, 1, 0, 2]), "S1", 6).iloc[0]
    assert small["n_patients"] == 4 and small["mean_before"] == 2.75 and small["mean_after"] == 1.0
    assert small[["p_wilcoxon", "rate_ratio", "rr_ci95_low", "rr_ci95_high"]].isna().all()

    zeros = summarise_windows(_summary_counts([0] * 6, [0] * 6), "S1", 6).iloc[0]
    assert zeros["mean_diff"] == 0
    assert zeros[["p_wilcoxon", "rate_ratio", "rr_ci95_low", "rr_ci95_high"]].isna().all()

    none_before = summarise_windows(_summary_counts([0] * 6, [0, 1, 0, 2, 0, 0]), "S1", 6).iloc[0]
    assert none_before[["rate_ratio", "rr_ci95_low", "rr_ci95_high"]].isna().all()
    assert none_before["p_wilcoxon"] == pytest.approx(stats.wilcoxon([1, 2]).pvalue)

    unchanged = summarise_windows(_summary_counts([1, 2, 3, 0, 4], [1, 2, 3, 0, 4]), "S1", 6).iloc[0]
    assert unchanged["rate_ratio"] == pytest.approx(1.0)
    assert unchanged[["p_wilcoxon", "rr_ci95_low", "rr_ci95_high"]].isna().all()


def test_trajectory_months():
    # Referral 31 August 2022. Month -1 = [31 Jul, 31 Aug), month -2 = [30 Jun, 31 Jul),
    # month 1 = (31 Aug, 30 Sep], month 2 = (30 Sep, 31 Oct].
    patients = _patients([("P1", "2022-08-31"), ("P2", "2023-06-15")])
    contacts = _contacts(
        [
            ("P1", "2022-07-30"),  # month -2
            ("P1", "2022-07-31"),  # month -1
            ("P1", "2022-08-31"),  # referral date: no month
            ("P1", "2022-09-30"),  # month 1
            ("P1", "2022-10-01"),  # month 2
            ("P2", "2023-07-15"),  # month 1 (ends on 15 July)
            ("P2", "2023-08-16"),  # month 3 (past the extract end for P2)
        ]
    )
    out = monthly_trajectory(contacts, patients, 3, 3, extract_end=END).set_index("month")
    assert list(out.index) == [-3, -2, -1, 1, 2, 3]
    assert out["n_patients"].to_dict() == {-3: 2, -2: 2, -1: 2, 1: 2, 2: 2, 3: 1}  # P2 + 3 months = 15 Sep
    assert out["n_contacts"].to_dict() == {-3: 0, -2: 1, -1: 1, 1: 2, 2: 1, 3: 0}
    assert out.loc[1, "mean_contacts"] == 1.0 and out.loc[2, "mean_contacts"] == 0.5


def test_trajectory_extract_start():
    patients = _patients([("P1", "2022-03-15"), ("P2", "2022-09-15")])
    contacts = _contacts([("P1", "2022-01-20"), ("P2", "2022-07-20")])
    out = monthly_trajectory(contacts, patients, 3, 1, extract_end=END, extract_start="2022-01-01").set_index("month")
    # P1's month -3 starts 15 December 2021, before the extract start
    assert out["n_patients"].to_dict() == {-3: 1, -2: 2, -1: 2, 1: 2}
    assert out.loc[-2, "n_contacts"] == 2


def test_trajectory_adds_up_to_windows():
    rng = np.random.default_rng(11)
    referral = pd.Timestamp("2022-01-31") + pd.to_timedelta(rng.integers(0, 300, 15), unit="D")
    patients = _patients([(f"P{i}", d) for i, d in enumerate(referral)])
    who = rng.integers(0, 15, 200)
    offset = pd.to_timedelta(rng.integers(-200, 200, 200), unit="D")
    contacts = _contacts([(f"P{i}", referral[i] + d) for i, d in zip(who, offset)])
    counts = window_counts(contacts, patients, 6, extract_end=END)
    covered = patients[patients["participant_id"].isin(counts["participant_id"])]
    trajectory = monthly_trajectory(contacts, covered, 6, 6, extract_end=END).set_index("month")
    assert (trajectory["n_patients"] == len(counts)).all()
    assert trajectory.loc[-6:-1, "n_contacts"].sum() == counts["n_before"].sum()
    assert trajectory.loc[1:6, "n_contacts"].sum() == counts["n_after"].sum()


@pytest.mark.parametrize("extract_start", [None, "2022-03-01"])
def test_patients_per_month_counts_as_each_site_trajectory_does(tmp_path, extract_start):
    """All sites at once (the disclosure counts) against monthly_trajectory site by site (the pages),
    on a generated 30-site dataset with another seed and a site that has no patients."""
    from helpers.analysis.gp_contacts import patients_per_month
    from helpers.data.dataset import load_dataset
    from helpers.synth import write_dataset

    dataset = load_dataset(write_dataset(tmp_path / "d", n_sites=30, seed=20261202))
    people, sites = dataset.participants, [*dataset.site_ids, "EMPTY"]
    extract = dict(extract_end=dataset.metadata.gp_extract_end, extract_start=extract_start)
    counts = patients_per_month(people, sites, 12, 6, **extract)
    for site in sites:
        months = monthly_trajectory(dataset.gp_contacts, people[people["site_id"] == site], 12, 6, **extract)
        assert {k: counts[k][site] for k in counts} == dict(zip(months["month"], months["n_patients"]))
    assert sorted(counts) == [*range(-12, 0), *range(1, 7)]
    assert all(counts[k]["EMPTY"] == 0 for k in counts)
    assert len({counts[k][s] for k in counts for s in dataset.site_ids}) > 1  # the extract cuts some months
