"""The synthetic dataset generator: determinism, contract shape, counts,
referential integrity and the planted effects (read back from truth.json's
in-memory twin, `SyntheticDataset.truth`)."""

from __future__ import annotations

import datetime as dt
import json
import re

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import yaml

from helpers.data.contract import CODE_PATTERN, DATE, GSE_ITEMS, ID_PATTERN, INTEGER, NUMBER, ONS_ITEMS, TABLES
from helpers.synth import DEFAULT_SEED, SyntheticDataset, generate, write_dataset
from helpers.synth import design as D
from helpers.synth.common import add_months

STUDY_START, STUDY_END = dt.date(2021, 11, 1), dt.date(2023, 8, 31)
LEVELS = ("bolted_on", "fitting_in", "belonging")
HP_ROLES = {"gp", "practice_manager", "nurse", "care_coordinator", "health_wellbeing_coach", "receptionist",
            "allied_health_professional"}


@pytest.fixture(scope="module")
def default() -> SyntheticDataset:
    return generate()


@pytest.fixture(scope="module")
def big() -> SyntheticDataset:
    return generate(n_sites=40)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    write_dataset(out / "a")
    write_dataset(out / "b")
    write_dataset(out / "c", seed=DEFAULT_SEED + 1)
    return out


def _dates(series: pd.Series) -> pd.Series:
    return series.dropna().map(dt.date.fromisoformat)


def _read(directory, table) -> pd.DataFrame:
    return pd.read_csv(directory / f"{table}.csv", dtype=str, keep_default_na=False)


def _site_levels(data: SyntheticDataset) -> dict:
    return data.truth["embeddedness"]["by_site"]


def _patients(data: SyntheticDataset) -> pd.DataFrame:
    people = data.tables["participants"]
    return people[people["group"] == "patient"]


# --- files and determinism ---------------------------------------------------

def test_same_seed_gives_byte_identical_files_and_other_seed_differs(written):
    names = sorted(p.name for p in (written / "a").iterdir())
    assert names == sorted([t.file for t in TABLES] + ["dataset.yml", "truth.json"])
    for name in names:
        assert (written / "a" / name).read_bytes() == (written / "b" / name).read_bytes(), name
    differing = [n for n in names if (written / "a" / n).read_bytes() != (written / "c" / n).read_bytes()]
    assert {"participants.csv", "questionnaires.csv", "gp_contacts.csv", "truth.json"} <= set(differing)


def test_csv_format(written):
    for table in TABLES:
        raw = (written / "a" / table.file).read_bytes()
        text = raw.decode("utf-8")
        assert "\r" not in text and text.endswith("\n")
        assert text.split("\n", 1)[0] == ",".join(table.column_names)
        frame = _read(written / "a", table.name)
        for column in table.columns:
            values = frame[column.name][frame[column.name] != ""]
            if column.kind in (INTEGER, NUMBER):
                assert values.str.fullmatch(r"-?\d+").all(), (table.name, column.name)
            if column.kind == DATE:
                assert values.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all(), (table.name, column.name)
            if column.required:
                assert (frame[column.name] != "").all(), (table.name, column.name)


def test_metadata_and_truth_files(written):
    meta = yaml.safe_load((written / "a" / "dataset.yml").read_text(encoding="utf-8"))
    assert list(meta) == ["name", "synthetic", "seed", "description", "study_start", "study_end",
                          "gp_extract_start", "gp_extract_end"]
    assert meta["synthetic"] is True and meta["seed"] == DEFAULT_SEED
    assert str(meta["study_start"]) == "2021-11-01" and str(meta["study_end"]) == "2023-08-31"
    assert dt.date.fromisoformat(str(meta["gp_extract_end"])) <= dt.date(2026, 11, 30)
    text = (written / "a" / "truth.json").read_text(encoding="utf-8")
    assert text.endswith("}\n")
    truth = json.loads(text)
    assert truth == json.loads(json.dumps(generate().truth))
    assert set(truth["embeddedness"]["by_site"].values()) == set(LEVELS)


def test_invalid_arguments_raise():
    for bad in (0, -1, 2.5, "7", True):
        with pytest.raises(ValueError):
            generate(n_sites=bad)
    with pytest.raises(ValueError):
        generate(seed=-3)


# --- shape and counts ----------------------------------------------------------

@pytest.mark.parametrize("n_sites", [1, 3, 7, 40])
def test_tables_follow_the_contract(n_sites, default, big):
    data = {7: default, 40: big}.get(n_sites) or generate(n_sites=n_sites)
    assert list(data.tables) == [t.name for t in TABLES]
    for table in TABLES:
        frame = data.tables[table.name]
        assert list(frame.columns) == table.column_names
        assert len(frame) > 0, table.name
        for column in table.columns:
            values = frame[column.name].dropna()
            if column.required:
                assert frame[column.name].notna().all(), (table.name, column.name)
            if column.allowed:
                assert set(values) <= set(column.allowed), (table.name, column.name)
            if column.minimum is not None:
                assert (values.astype(float) >= column.minimum).all(), (table.name, column.name)
            if column.maximum is not None:
                assert (values.astype(float) <= column.maximum).all(), (table.name, column.name)
            if column.pattern:
                assert values.str.fullmatch(column.pattern.strip("^$")).all(), (table.name, column.name)
            if column.unique:
                assert values.is_unique, (table.name, column.name)
        if table.key:
            assert not frame.duplicated(list(table.key)).any(), table.name
    sites = data.tables["sites"]
    assert list(sites["site_id"]) == [f"S{i}" for i in range(1, n_sites + 1)]
    people = data.tables["participants"]
    expected_patients = round(61 * n_sites / 7)
    assert (people["group"] == "patient").sum() == expected_patients
    assert (people["group"] == "link_worker").sum() == n_sites
    assert people["group"].isin(["health_professional", "voluntary_sector"]).sum() == round(86 * n_sites / 7)
    waves = data.tables["interviews"].merge(people, on="participant_id")
    assert ((waves["group"] == "patient") & (waves["wave"] == 2)).sum() == round(41 * n_sites / 7)
    per_site = people[people["group"] == "patient"].groupby("site_id").size()
    assert per_site.max() - per_site.min() <= 1
    if n_sites >= 3:
        assert set(_site_levels(data).values()) == set(LEVELS)


def test_default_dataset_counts(default):
    t = default.tables
    people = t["participants"]
    professionals = people[people["group"] != "patient"]
    assert len(t["sites"]) == 7
    assert len(professionals) == 93
    assert (people["group"] == "link_worker").sum() == 7
    assert (people["group"] == "patient").sum() == 61
    assert set(people.groupby("site_id").size()) <= {1 + 12 + 8, 1 + 12 + 9, 1 + 13 + 8, 1 + 13 + 9}
    roles = set(professionals["role"])
    assert roles == HP_ROLES | {"vcse_worker", "vcse_manager", "link_worker"}
    assert set(people.loc[people["group"] == "patient", "role"]) == {"patient"}
    followed = t["questionnaires"].query("wave == 2")["participant_id"].nunique()
    assert followed == 41
    lw_waves = t["interviews"][t["interviews"]["participant_id"].str.contains("-LW")]
    assert sorted(lw_waves.groupby("wave").size().tolist()) == [7, 7]
    sites = t["sites"]
    assert set(sites["employer"]) == {"primary_care", "vcse"}
    assert set(sites["rurality"]) == {"urban", "rural", "mixed"}
    assert set(sites["team_model"]) == {"sole", "team"}
    assert set(sites["imd_quintile"]) == {1, 2, 3, 4, 5}
    assert sites["lw_months_in_post"].min() <= 6 and sites["lw_months_in_post"].max() >= 36
    assert sites["region"].is_unique
    assert sites["population_served"].between(8000, 60000).all()
    assert set(_site_levels(default).values()) == set(LEVELS)
    assert "embeddedness" not in " ".join(c for f in t.values() for c in f.columns)
    start, end = _dates(sites["fieldwork_start"]), _dates(sites["fieldwork_end"])
    assert start.min() >= dt.date(2021, 11, 1) and start.max() <= dt.date(2022, 10, 31)
    assert end.max() <= STUDY_END
    assert ((end - start).map(lambda d: d.days)).between(14, 24).all()


def test_identifiers(big):
    t = big.tables
    ids = t["participants"]["participant_id"]
    assert ids.str.fullmatch(r"S\d+-(HP|VS|LW|PT)\d{2}").all()
    prefix = {"health_professional": "HP", "voluntary_sector": "VS", "link_worker": "LW", "patient": "PT"}
    assert (ids.str.split("-").str[1].str[:2] == t["participants"]["group"].map(prefix)).all()
    assert (ids.str.split("-").str[0] == t["participants"]["site_id"]).all()
    orgs = t["organisations"]["org_id"]
    assert orgs.str.fullmatch(r"S\d+-ORG\d{2}").all()
    assert not set(ids) & set(orgs)
    id_re = re.compile(ID_PATTERN)
    for name, column in [("interviews", "interview_id"), ("segments", "segment_id"), ("cmocs", "cmoc_id"),
                         ("programme_theory_nodes", "node_id")]:
        assert t[name][column].map(lambda v: bool(id_re.match(v))).all()
    assert t["codebook"]["code_id"].str.fullmatch(CODE_PATTERN.strip("^$")).all()


# --- dates ---------------------------------------------------------------------

def test_dates_follow_the_study_design(big):
    t = big.tables
    sites = t["sites"].set_index("site_id")
    people = t["participants"].set_index("participant_id")
    interviews = t["interviews"].assign(day=_dates(t["interviews"]["date"]))
    assert interviews["day"].between(STUDY_START, STUDY_END).all()
    w1 = interviews[interviews["wave"] == 1].set_index("participant_id")["day"]
    w2 = interviews[interviews["wave"] == 2].set_index("participant_id")["day"]
    assert set(w1.index) == set(people.index)
    fw_start = people["site_id"].map(_dates(sites["fieldwork_start"]))
    fw_end = people["site_id"].map(_dates(sites["fieldwork_end"]))
    assert ((w1 >= fw_start[w1.index]) & (w1 <= fw_end[w1.index])).all()
    for pid, day in w2.items():
        assert add_months(w1[pid], 9) <= day <= add_months(w1[pid], 12), pid
    referral = _dates(people["referral_date"])
    gap = (w1[referral.index] - referral).map(lambda d: d.days)
    assert gap.between(14, 182).all()
    obs = t["observations"].assign(day=_dates(t["observations"]["date"]))
    obs_start = obs["site_id"].map(_dates(sites["fieldwork_start"]))
    obs_end = obs["site_id"].map(_dates(sites["fieldwork_end"]))
    assert ((obs["day"] >= obs_start) & (obs["day"] <= obs_end)).all()
    assert obs.groupby("site_id")["day"].nunique().between(13, 15).all()
    q = t["questionnaires"].merge(interviews, on=["participant_id", "wave"])
    assert len(q) == len(t["questionnaires"])
    assert (q["completed_date"] == q["date"]).all()


def test_gp_contacts_cover_a_year_either_side_of_referral(default):
    contacts = default.tables["gp_contacts"].assign(day=lambda f: _dates(f["contact_date"]))
    meta = default.metadata
    start, end = dt.date.fromisoformat(meta["gp_extract_start"]), dt.date.fromisoformat(meta["gp_extract_end"])
    assert contacts["day"].between(start, end).all()
    assert end <= dt.date(2026, 11, 30)
    referral = _dates(_patients(default).set_index("participant_id")["referral_date"])
    assert set(contacts["participant_id"]) <= set(referral.index)
    assert (referral.map(lambda r: add_months(r, -12)) >= start).all()
    assert (referral.map(lambda r: add_months(r, 12)) <= end).all()
    span = contacts.groupby("participant_id")["day"].agg(["min", "max"])
    assert (span["min"] < referral[span.index].map(lambda r: add_months(r, -12))).mean() > 0.9
    assert (span["max"] > referral[span.index].map(lambda r: add_months(r, 12))).mean() > 0.9


# --- integrity -----------------------------------------------------------------

@pytest.mark.parametrize("which", ["default", "big"])
def test_referential_integrity(which, request):
    data = request.getfixturevalue(which)
    t = data.tables
    codes = set(t["codebook"]["code_id"])
    segments = t["segments"].set_index("segment_id")
    people = t["participants"].set_index("participant_id")
    assert set(t["codings"]["code_id"]) <= codes
    assert set(t["codings"]["segment_id"]) == set(segments.index)
    lead = t["codings"][t["codings"]["coder"] == "C1"]
    assert set(lead["segment_id"]) == set(segments.index)
    assert lead.groupby("segment_id").size().between(1, 4).all()
    second = t["codings"][t["codings"]["coder"] == "C2"]  # a subset of the lead coder's codes, never another
    assert set(map(tuple, second[["segment_id", "code_id"]].to_numpy())) <= set(
        map(tuple, lead[["segment_id", "code_id"]].to_numpy()))
    parents = t["codebook"]["parent_id"].dropna()
    assert set(parents) <= codes
    seen = []
    for code, parent in zip(t["codebook"]["code_id"], t["codebook"]["parent_id"]):
        assert pd.isna(parent) or parent in seen, code
        seen.append(code)
    assert set(t["cmoc_evidence"]["cmoc_id"]) <= set(t["cmocs"]["cmoc_id"])
    assert set(t["cmoc_evidence"]["segment_id"]) <= set(segments.index)
    nodes = set(t["programme_theory_nodes"]["node_id"])
    assert set(t["cmocs"]["proposition_id"]) <= nodes
    assert set(t["programme_theory_edges"]["source"]) | set(t["programme_theory_edges"]["target"]) <= nodes
    assert set(t["programme_theory_nodes"]["category"]) == {"review_concept", "review_outcome", "actor",
                                                             "new_outcome", "new_concept"}
    site_of = {**dict(zip(t["organisations"]["org_id"], t["organisations"]["site_id"])),
               **people["site_id"].to_dict()}
    for end in ("source_id", "target_id"):
        assert (t["connections"][end].map(site_of) == t["connections"]["site_id"]).all()
    assert (t["connections"]["source_id"] != t["connections"]["target_id"]).all()
    assert set(t["interviews"]["participant_id"]) <= set(people.index)
    q_groups = people.loc[t["questionnaires"]["participant_id"], "group"]
    assert (q_groups == "patient").all()
    assert set(t["gp_contacts"]["participant_id"]) <= set(_patients(data)["participant_id"])
    assert (people["referral_date"].notna() == (people["group"] == "patient")).all()


def test_segments_are_artificial_and_consistent(default):
    t = default.tables
    seg = t["segments"]
    assert seg.groupby("site_id").size().between(150, 250).all()
    assert seg["text"].str.startswith("[Synthetic").all()
    assert seg["text"].str.contains("not a real", regex=False).all()
    assert all(sid in text for sid, text in zip(seg["segment_id"], seg["text"]))
    interviews = t["interviews"].set_index("interview_id")
    inter = seg[seg["source"] == "interview"]
    assert (interviews.loc[inter["interview_id"], "participant_id"].to_numpy() == inter["participant_id"]).all()
    assert (interviews.loc[inter["interview_id"], "wave"].to_numpy() == inter["wave"]).all()
    lw = seg[seg["source"].isin(["observation", "debrief"])]
    assert lw["participant_id"].str.endswith("-LW01").all()
    assert lw["interview_id"].isna().all() and lw["wave"].isna().all()
    docs = seg[seg["source"] == "document"]
    assert len(docs) and docs["participant_id"].isna().all()
    assert set(seg["source"]) == {"interview", "observation", "debrief", "document"}


# --- planted effects -------------------------------------------------------------

def _paired(data: SyntheticDataset) -> pd.DataFrame:
    q = data.tables["questionnaires"].copy()
    gse = q[list(GSE_ITEMS)].astype("float64")
    q["gse_total"] = (10 * gse.mean(axis=1)).where(gse.notna().sum(axis=1) >= 7)
    q["level"] = q["participant_id"].str.split("-").str[0].map(_site_levels(data))
    return q


def test_questionnaire_answers_and_blanks(default, big):
    for data in (default, big):
        q = data.tables["questionnaires"]
        blank_share = q[list(ONS_ITEMS + GSE_ITEMS)].isna().to_numpy().mean()
        assert 0.015 <= blank_share <= 0.05
        gse_answered = q[list(GSE_ITEMS)].notna().sum(axis=1)
        assert (gse_answered < 7).sum() >= 1
    q = _paired(big)
    wave1 = q[q["wave"] == 1]
    uk = big.truth["wellbeing"]["uk_means"]
    for item in ("ons_life_satisfaction", "ons_worthwhile", "ons_happy"):
        assert wave1[item].mean() < uk[item] - 1.5
    assert wave1["ons_anxious"].mean() > uk["ons_anxious"] + 1.5
    # a latent factor makes the items correlate
    assert wave1[["ons_life_satisfaction", "ons_happy"]].astype(float).corr().iloc[0, 1] > 0.4


def test_outcomes_improve_and_more_where_embedded(big):
    q = _paired(big)
    wide = q.pivot(index="participant_id", columns="wave")
    level = wide[("level", 1)]
    change = {m: (wide[(m, 2)].astype(float) - wide[(m, 1)].astype(float)) for m in
              ("ons_life_satisfaction", "ons_worthwhile", "ons_happy", "ons_anxious", "gse_total")}
    for m in ("ons_life_satisfaction", "ons_worthwhile", "ons_happy"):
        by_level = change[m].groupby(level).mean()
        assert by_level.min() > 0.2, m
        assert by_level["belonging"] > by_level["bolted_on"], m
    assert -1.5 < change["ons_anxious"].mean() < -0.6
    assert 0.8 < change["gse_total"].mean() < 3.5


def test_dropout_is_not_at_random(big):
    q = big.tables["questionnaires"]
    followed = set(q.loc[q["wave"] == 2, "participant_id"])
    wave1 = q[q["wave"] == 1].astype({"ons_life_satisfaction": float})
    kept = wave1[wave1["participant_id"].isin(followed)]["ons_life_satisfaction"].mean()
    lost = wave1[~wave1["participant_id"].isin(followed)]["ons_life_satisfaction"].mean()
    assert kept > lost + 0.5
    assert "not at random" in big.truth["attrition"]["mechanism"]


def _count(days: np.ndarray, low: dt.date, high: dt.date) -> int:
    """Contacts with low <= day < high."""
    return int(((days >= low) & (days < high)).sum())


def _gp_windows(data: SyntheticDataset) -> pd.DataFrame:
    patients = _patients(data).set_index("participant_id")
    referral = _dates(patients["referral_date"])
    contacts = data.tables["gp_contacts"].assign(day=lambda f: _dates(f["contact_date"]))
    rows = []
    for pid, series in contacts.groupby("participant_id")["day"]:
        r, days = referral[pid], np.array(series.tolist())
        rows.append({
            "participant_id": pid, "site_id": patients.at[pid, "site_id"],
            "last3": _count(days, add_months(r, -3), r) / 3,
            "early": _count(days, add_months(r, -12), add_months(r, -6)) / 6,
            "before6": _count(days, add_months(r, -6), r),
            "after6": int(((days > r) & (days <= add_months(r, 6))).sum()),
        })
    return pd.DataFrame(rows)


def test_gp_contacts_rise_before_referral_and_fall_after(default, big):
    windows = _gp_windows(big)
    assert windows["last3"].mean() > 1.4 * windows["early"].mean()
    rising = big.truth["gp_contacts"]["rising_sites"]
    others = windows[~windows["site_id"].isin(rising)]
    assert others["before6"].mean() > 1.3 * others["after6"].mean()
    up = windows[windows["site_id"].isin(rising)]
    assert len(up) and up["after6"].mean() > up["before6"].mean()
    gp = big.truth["gp"]
    assert gp["anticipation_rate_ratio"] > 1.5 and gp["anticipation_months"] == 4
    site_level = gp["site_level_rate_ratio"]
    assert all((v > 1) == (s in rising) for s, v in site_level.items())
    assert gp["level_rate_ratio"] == pytest.approx(np.exp(np.mean(np.log(list(site_level.values())))), abs=1e-6)
    assert default.truth["gp_contacts"]["rising_sites"] == ["S3"]
    default_windows = _gp_windows(default)
    assert default_windows["before6"].mean() > default_windows["after6"].mean()


def _embeddedness_scores(data: SyntheticDataset) -> pd.DataFrame:
    codings = data.tables["codings"].merge(data.tables["segments"][["segment_id", "site_id"]], on="segment_id")
    emb = codings[codings["code_id"].str.startswith("embeddedness.")]
    score = emb["code_id"].map({"embeddedness.bolted_on": -1, "embeddedness.fitting_in": 0,
                                "embeddedness.belonging": 1})
    return score.groupby(emb["site_id"]).agg(["mean", "size"])


@pytest.mark.parametrize("which", ["default", "big"])
def test_embeddedness_codes_classify_every_site(which, request):
    data = request.getfixturevalue(which)
    scores = _embeddedness_scores(data)
    assert (scores["size"] >= 30).all()
    found = scores["mean"].map(lambda m: "bolted_on" if m < -1 / 3 else "belonging" if m > 1 / 3 else "fitting_in")
    assert found.to_dict() == _site_levels(data)


def test_coding_patterns(big):
    t = big.tables
    codings = t["codings"].merge(t["segments"], on="segment_id")
    sites = t["sites"].set_index("site_id")
    codings = codings.assign(holding=codings["code_id"].str.startswith("holding."),
                             anchor=codings["code_id"].str.startswith("anchor_point."),
                             job=codings["code_id"] == "outcome.job_satisfaction")
    per_segment = codings.groupby("segment_id").agg(
        site_id=("site_id", "first"), participant_id=("participant_id", "first"),
        holding=("holding", "max"), anchor=("anchor", "max"), job=("job", "max"))
    holding = per_segment.groupby(per_segment["site_id"].map(sites["imd_quintile"]))["holding"].mean()
    assert holding.is_monotonic_decreasing and holding[1] > holding[5] + 0.1
    group = per_segment["participant_id"].map(t["participants"].set_index("participant_id")["group"])
    anchor = per_segment.groupby(group)["anchor"].mean()
    assert anchor["patient"] > 3 * anchor.drop("patient").max()
    lw = per_segment[group == "link_worker"]
    job = lw.groupby(lw["site_id"].map(_site_levels(big)))["job"].mean()
    assert job["belonging"] > job["fitting_in"] > job["bolted_on"]


def test_link_worker_bridges_practice_and_voluntary_sector(big):
    t = big.tables
    group = t["participants"].set_index("participant_id")["group"].to_dict()
    org_type = t["organisations"].set_index("org_id")["org_type"].to_dict()

    def side(node):
        if group.get(node) == "health_professional" or org_type.get(node) in ("general_practice",
                                                                            "primary_care_network"):
            return "practice"
        if group.get(node) == "voluntary_sector" or org_type.get(node) == "vcse":
            return "vcse"
        return None

    practice_ties = {level: [] for level in LEVELS}
    for site_id, ties in t["connections"].groupby("site_id"):
        lw = f"{site_id}-LW01"
        graph = nx.Graph()
        graph.add_edges_from(zip(ties["source_id"], ties["target_id"]))
        direct = sum({side(a), side(b)} == {"practice", "vcse"} for a, b in graph.edges)
        assert direct == big.truth["sites"][site_id]["cross_group_ties"] <= 1
        betweenness = nx.betweenness_centrality(graph)
        assert max(betweenness, key=betweenness.get) == lw
        if direct == 0:
            graph.remove_node(lw)
            for component in nx.connected_components(graph):
                assert len({side(n) for n in component} - {None}) <= 1
        mine = ties[(ties["source_id"] == lw) | (ties["target_id"] == lw)]
        other = mine["target_id"].where(mine["source_id"] == lw, mine["source_id"])
        into_practice = mine[other.map(side) == "practice"]
        practice_ties[_site_levels(big)[site_id]].append((len(into_practice), into_practice["weight"].mean()))
    mean = {level: np.mean(values, axis=0) for level, values in practice_ties.items()}
    assert mean["belonging"][0] > mean["fitting_in"][0] > mean["bolted_on"][0]
    assert mean["belonging"][1] > mean["fitting_in"][1] > mean["bolted_on"][1]


def test_cmoc_evidence_follows_the_designed_pattern(default, big):
    for data in (default, big):
        t = data.tables
        evidence = t["cmoc_evidence"]
        codes = t["codings"].groupby("segment_id")["code_id"].apply(set)
        relevant = data.truth["cmocs"]["relevant_codes"]
        for cmoc_id, segment_id in zip(evidence["cmoc_id"], evidence["segment_id"]):
            assert codes[segment_id] & set(relevant[cmoc_id])
    shares = pd.crosstab(big.tables["cmoc_evidence"]["cmoc_id"], big.tables["cmoc_evidence"]["stance"],
                         normalize="index")
    pattern = big.truth["cmocs"]["designed_pattern"]
    assert set(pattern) == set(big.tables["cmocs"]["cmoc_id"])
    assert 8 <= len(pattern) <= 13
    for cmoc_id, designed in pattern.items():
        if designed == "mixed":
            assert shares.loc[cmoc_id].max() < 0.5
        else:
            assert shares.loc[cmoc_id].idxmax() == designed and shares.loc[cmoc_id, designed] > 0.55
    kinds = list(pattern.values())
    assert kinds.count("supports") > len(kinds) / 2 and {"refutes", "refines", "mixed"} <= set(kinds)
    missing = default.truth["cmocs"]["without_evidence_at"]
    assert missing
    evidence = default.tables["cmoc_evidence"].assign(site=lambda f: f["segment_id"].str.split("-").str[0])
    for cmoc_id, site_ids in missing.items():
        assert not set(evidence.loc[evidence["cmoc_id"] == cmoc_id, "site"]) & set(site_ids)


def test_observed_time_use_shifts_with_embeddedness(big):
    obs = big.tables["observations"]
    level = obs["site_id"].map(_site_levels(big))
    minutes = obs.pivot_table(index=level, columns="activity", values="minutes", aggfunc="sum")
    share = minutes.div(minutes.sum(axis=1), axis=0)
    assert share.loc["belonging", "practice_meeting"] > share.loc["bolted_on", "practice_meeting"] * 2
    alone = obs[obs["with_group"] == "alone"].groupby(level[obs["with_group"] == "alone"])["minutes"].sum()
    assert alone["bolted_on"] / minutes.loc["bolted_on"].sum() > alone["belonging"] / minutes.loc["belonging"].sum()
    per_day = obs.groupby(["site_id", "date"])["minutes"].sum()
    assert per_day.max() <= 480


def test_codebook_and_programme_theory_content(default):
    t = default.tables
    book = t["codebook"].set_index("code_id")
    required = [
        "holding.waiting", "holding.preparing", "holding.staff_burden", "holding.witness",
        *(f"micro_discretion.{d}" for d in ("time", "place", "referrals", "training", "data", "boundary", "strain")),
        "anchor_point.trust", "anchor_point.hope", "anchor_point.readiness",
        *(f"embeddedness.{level}" for level in LEVELS),
        "buy_in.patient", "buy_in.professional", "buy_in.vcse",
        "connections.patient", "connections.practice", "connections.vcse", "social_capital", "patient_activation",
        "outcome.person_centred_care", "outcome.job_satisfaction", "outcome.self_confidence_hope",
        "outcome.gp_contact_down", "outcome.gp_contact_up",
        "context.deprivation", "context.service_gaps", "context.management_support", "context.vcse_funding",
    ]
    assert set(required) <= set(book.index)
    assert set(book["kind"]) == {"concept", "context", "mechanism", "outcome"}
    for code in ("buy_in", "connections", "social_capital", "patient_activation"):
        assert book.at[code, "origin"] == "review"
    for code in ("holding", "micro_discretion", "anchor_point", "embeddedness", "outcome.job_satisfaction"):
        assert book.at[code, "origin"] == "evaluation"
    nodes = t["programme_theory_nodes"].set_index("node_id")["category"]
    assert (nodes == "actor").sum() == 4
    assert set(nodes[nodes == "new_concept"].index) == {"holding", "micro_discretions", "anchor_point", "embeddedness"}
    assert set(nodes[nodes == "new_outcome"].index) == {"person_centred_care", "job_satisfaction",
                                                        "self_confidence_hope"}
    assert set(t["cmocs"]["origin"]) == {"review", "evaluation"}
    assert set(t["programme_theory_edges"]["origin"]) == {"review", "evaluation"}


def test_write_dataset_returns_the_directory(tmp_path):
    out = write_dataset(tmp_path / "new" / "one", n_sites=1, seed=5)
    assert out == tmp_path / "new" / "one"
    sites = _read(out, "sites")
    assert list(sites["site_id"]) == ["S1"]
    assert json.loads((out / "truth.json").read_text())["n_sites"] == 1


# --- the report's full findings, evidence judgements, double coding ---------------------------

def test_extra_codes_appear_at_their_planted_rates(big):
    t = big.tables
    lead = t["codings"][t["codings"]["coder"] == "C1"]
    segments = t["segments"].set_index("segment_id")
    people = t["participants"].set_index("participant_id")["group"]
    speaker = segments["source"].where(segments["source"] != "interview",
                                       segments["participant_id"].map(people))
    speaker = speaker.replace({"debrief": "link_worker", "patient": "patient"})
    for code, rates in D.EXTRA_CODE_RATES.items():
        carrying = set(lead.loc[lead["code_id"] == code, "segment_id"])
        for who, rate in rates.items():
            pool = speaker.index[speaker == who]
            share = pool.isin(carrying).mean()
            # about rate (binomial); a little lower where segments already hold the maximum of four codes
            assert share == pytest.approx(rate, abs=max(0.03, 4 * (rate / len(pool)) ** 0.5)), (code, who)
        assert set(speaker.loc[list(carrying)]) <= set(rates), code


def test_cmocs_carry_refined_wording_and_evidence_judgements(default):
    cmocs = default.tables["cmocs"].set_index("cmoc_id")
    for cmoc_id, parts in D.REFINED_CMOCS.items():
        for part, text in zip(("context", "mechanism", "outcome"), parts):
            value = cmocs.at[cmoc_id, f"refined_{part}"]
            assert (pd.isna(value) and text is None) or value == text
    evidence = default.tables["cmoc_evidence"]
    assert set(evidence["relevance"]) <= set(D.JUDGEMENT_LEVELS) and evidence["relevance"].notna().all()
    source = default.tables["segments"].set_index("segment_id")["source"]
    by_source = evidence.assign(source=evidence["segment_id"].map(source))
    low_docs = (by_source.loc[by_source["source"] == "document", "rigour"] == "low").mean()
    low_interviews = (by_source.loc[by_source["source"] == "interview", "rigour"] == "low").mean()
    assert low_docs > low_interviews  # documents are planted as the least rigorous evidence


def test_double_coding_share_and_split_site(default, big):
    for data in (default, big):
        codings = data.tables["codings"]
        coded_twice = codings.loc[codings["coder"] == "C2", "segment_id"].nunique()
        n = len(data.tables["segments"])
        assert coded_twice == sum(s["n_segments"] for s in data.truth["coder_agreement"]["by_site"].values())
        assert coded_twice == pytest.approx(D.DOUBLE_CODED_SHARE * n, abs=len(data.tables["sites"]))
        split = data.truth["embeddedness"]["split_sites"]
        assert split and all(data.truth["embeddedness"]["by_site"][s] == "fitting_in" for s in split)


def test_null_scenario_keeps_the_design_and_plants_no_change():
    planted, null = generate(n_sites=14, seed=77), generate(n_sites=14, seed=77, scenario="null")
    assert null.truth["scenario"] == "null" and planted.truth["scenario"] == "planted"
    assert null.truth["counts"] == planted.truth["counts"]
    pd.testing.assert_frame_equal(null.tables["participants"], planted.tables["participants"])
    assert set(null.truth["gp"]["site_level_rate_ratio"].values()) == {1.0}
    assert null.truth["gp"]["level_rate_ratio"] == 1.0 and null.truth["gp_contacts"]["rising_sites"] == []
    assert null.truth["gse"]["total_change_by_level"] == {"bolted_on": 0.0, "fitting_in": 0.0, "belonging": 0.0}
    assert "null scenario" in null.metadata["name"]
    q = null.tables["questionnaires"]
    wide = q.pivot(index="participant_id", columns="wave", values="ons_life_satisfaction").dropna().astype(float)
    change = wide[2] - wide[1]
    assert abs(change.mean()) < 3 * change.std() / np.sqrt(len(change))
    q = planted.tables["questionnaires"]
    wide = q.pivot(index="participant_id", columns="wave", values="ons_life_satisfaction").dropna().astype(float)
    assert (wide[2] - wide[1]).mean() > 0.5
    with pytest.raises(ValueError, match="scenario"):
        generate(n_sites=2, scenario="nothing")
