"""Checks across tables: the mistakes a real export makes that no single table shows.

Each check takes the typed tables (indexed by file line) and returns problems.
A check is skipped when a table it needs could not be read; that table's own
problems are reported instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

import pandas as pd

from helpers.data.metadata import Metadata
from helpers.data.problems import Problem

Tables = dict[str, pd.DataFrame]
CHECKS: list[tuple[tuple[str, ...], Callable]] = []


def check(*needs: str):
    """Register a cross-table check that needs the named tables."""
    def register(func):
        CHECKS.append((needs, func))
        return func
    return register


def run_cross_checks(tables: Tables, meta: Metadata, today: dt.date) -> list[Problem]:
    problems: list[Problem] = []
    for needs, func in CHECKS:
        if all(tables.get(name) is not None for name in needs):
            problems += func(tables, meta=meta, today=today)
    return problems


def _present(series: pd.Series) -> pd.Series:
    return series[series.notna()]


def _unknown(table: str, frame: pd.DataFrame, column: str, known: Iterable, rule: str) -> list[Problem]:
    known = set(known)
    return [Problem(f"{table}.csv", int(line), column, rule, value)
            for line, value in _present(frame[column]).items() if value not in known]


@check("sites", "participants", "observations", "organisations", "connections", "segments")
def sites_exist(t, **_):
    sites = t["sites"]["site_id"].dropna()
    return [p for name in ("participants", "observations", "organisations", "connections", "segments")
            for p in _unknown(name, t[name], "site_id", sites, "site does not exist in sites.csv")]


@check("sites")
def site_ids_differ_beyond_case(t, **_):
    """Site ids name files (sites/S1.ipynb): on a case-insensitive file system S1 and s1 collide."""
    ids = t["sites"]["site_id"].dropna()
    first = {}
    problems = []
    for line, site in ids.items():
        seen = first.setdefault(site.casefold(), site)
        if seen != site:
            problems.append(Problem("sites.csv", int(line), "site_id",
                                    f"differs from site {seen} only by letter case (site ids name files, "
                                    "and some file systems ignore case): rename one", site))
    return problems


@check("participants", "organisations")
def one_identifier_namespace(t, **_):
    orgs = set(t["organisations"]["org_id"].dropna())
    return _rows_where(t["participants"], "participants.csv", "participant_id",
                       t["participants"]["participant_id"].isin(orgs),
                       "identifier is also used as an org_id in organisations.csv")


@check("participants")
def referral_dates(t, **_):
    people = t["participants"]
    is_patient = people["group"] == "patient"
    return (
        _rows_where(people, "participants.csv", "referral_date", is_patient & people["referral_date"].isna(),
                    "a patient must have a referral_date")
        + _rows_where(people, "participants.csv", "referral_date", ~is_patient & people["referral_date"].notna(),
                      "only patients have a referral_date")
    )


def _rows_where(frame, file, column, mask, rule):
    mask = mask.fillna(False).astype(bool)
    return [Problem(file, int(line), column, rule, None if pd.isna(value) else _show(value))
            for line, value in frame.loc[mask, column].items()]


def _show(value):
    return value.date().isoformat() if isinstance(value, pd.Timestamp) else value


@check("participants", "interviews")
def interviews_have_participants(t, **_):
    return _unknown("interviews", t["interviews"], "participant_id", t["participants"]["participant_id"],
                    "participant does not exist in participants.csv")


def _patients_only(t, table):
    people = t["participants"].set_index("participant_id")["group"]
    people = people[~people.index.duplicated()]
    problems = []
    for line, pid in _present(t[table]["participant_id"]).items():
        if pid not in people.index:
            problems.append(Problem(f"{table}.csv", int(line), "participant_id",
                                    "participant does not exist in participants.csv", pid))
        elif people[pid] != "patient":
            problems.append(Problem(f"{table}.csv", int(line), "participant_id",
                                    f"participant is not a patient (group is {people[pid]})", pid))
    return problems


@check("participants", "questionnaires")
def questionnaires_are_patients(t, **_):
    return _patients_only(t, "questionnaires")


@check("participants", "gp_contacts")
def gp_contacts_are_patients(t, **_):
    return _patients_only(t, "gp_contacts")


# (table, column, lower bound, upper bound) in terms of the metadata
def _date_windows(meta: Metadata):
    study = (meta.study_start, meta.study_end, "the study period")
    return [
        ("sites", "fieldwork_start", *study),
        ("sites", "fieldwork_end", *study),
        ("interviews", "date", *study),
        ("questionnaires", "completed_date", *study),
        ("observations", "date", *study),
        ("participants", "referral_date", meta.gp_extract_start, meta.study_end,
         "gp_extract_start to study_end"),
        ("gp_contacts", "contact_date", meta.gp_extract_start, meta.gp_extract_end, "the GP extract period"),
    ]


@check()
def dates_in_period(t, meta, today):
    problems = []
    for table, column, low, high, period in _date_windows(meta):
        frame = t.get(table)
        if frame is None:
            continue
        dates = _present(frame[column])
        for line, value in dates.items():
            day = value.date()
            if day > today:
                rule = f"date is in the future (today is {today})"
            elif not low <= day <= high:
                rule = f"date is outside {period} ({low} to {high}, dataset.yml)"
            else:
                continue
            problems.append(Problem(f"{table}.csv", int(line), column, rule, day.isoformat()))
    return problems


@check("sites")
def fieldwork_order(t, **_):
    sites = t["sites"]
    return _rows_where(sites, "sites.csv", "fieldwork_end", sites["fieldwork_end"] < sites["fieldwork_start"],
                       "fieldwork_end is before fieldwork_start")


@check("codebook")
def code_parents_exist(t, **_):
    book = t["codebook"]
    return _unknown("codebook", book, "parent_id", book["code_id"], "parent code does not exist in codebook.csv")


MAX_CODE_DEPTH = 32  # levels of nesting a codebook may have (the study's has 3)


@check("codebook")
def code_nesting_is_bounded(t, **_):
    return codebook_depth_problems(t["codebook"])


def codebook_depth_problems(book: pd.DataFrame) -> list[Problem]:
    """The first code too deep in each branch nested more than MAX_CODE_DEPTH levels, and codes
    in a loop of parents; found without recursion, so that a codebook of thousands of levels is
    refused rather than overflowing the stack of whatever walks it."""
    parent = {code: up for code, up in zip(book["code_id"], book["parent_id"]) if isinstance(up, str) and up}
    depth: dict[str, int] = {}
    for code in parent.keys() | set(book["code_id"]):
        chain = []
        while code not in depth and code in parent and code not in chain:
            chain.append(code)
            code = parent[code]
        base = depth.get(code, 1 if code not in parent else -1)  # -1: a loop
        for n, link in enumerate(reversed(chain), start=1):
            depth[link] = -1 if base < 0 else base + n
        depth.setdefault(code, base)
    lines = dict(zip(book["code_id"], book.index))
    problems = [Problem("codebook.csv", int(line), "parent_id", "codes form a loop of parents", code)
                for code, line in lines.items() if depth.get(code) == -1]
    problems += [Problem("codebook.csv", int(line), "parent_id",
                         f"code is nested more than {MAX_CODE_DEPTH} levels deep (as are "
                         f"{sum(1 for c in _below(code, parent) if depth.get(c, 0) > MAX_CODE_DEPTH)} codes "
                         "below it): flatten the codebook", code)
                 for code, line in lines.items() if depth.get(code) == MAX_CODE_DEPTH + 1]
    return problems


def _below(code: str, parent: dict[str, str]) -> list[str]:
    children: dict[str, list[str]] = {}
    for child, up in parent.items():
        children.setdefault(up, []).append(child)
    found, todo = [], list(children.get(code, []))
    while todo:
        found.append(todo.pop())
        todo += children.get(found[-1], [])
    return found


@check("codebook", "segments", "codings")
def codings_refer_to_codes_and_segments(t, **_):
    codings = t["codings"]
    return (_unknown("codings", codings, "segment_id", t["segments"]["segment_id"], "segment does not exist in segments.csv")
            + _unknown("codings", codings, "code_id", t["codebook"]["code_id"], "code does not exist in codebook.csv"))


MAX_CODERS_PER_SEGMENT = 20  # inter-coder agreement compares every pair of a segment's coders


@check("codings")
def coders_per_segment_are_bounded(t, **_):
    """One problem per segment, at the line that brings its coders past MAX_CODERS_PER_SEGMENT."""
    rated = t["codings"].dropna(subset=["coder"]).drop_duplicates(["segment_id", "coder"])
    rank = rated.groupby("segment_id").cumcount() + 1
    over = rated[rank == MAX_CODERS_PER_SEGMENT + 1]
    return [Problem("codings.csv", int(line), "coder",
                    f"segment {segment} is coded by more than {MAX_CODERS_PER_SEGMENT} coders; "
                    "agreement is measured between a few coders per segment", coder)
            for line, segment, coder in zip(over.index, over["segment_id"], over["coder"])]


@check("cmocs", "segments", "cmoc_evidence")
def evidence_refers_to_cmocs(t, **_):
    evidence = t["cmoc_evidence"]
    return (_unknown("cmoc_evidence", evidence, "cmoc_id", t["cmocs"]["cmoc_id"], "CMOC does not exist in cmocs.csv")
            + _unknown("cmoc_evidence", evidence, "segment_id", t["segments"]["segment_id"],
                       "segment does not exist in segments.csv"))


@check("cmocs", "programme_theory_nodes", "programme_theory_edges")
def theory_refers_to_nodes(t, **_):
    nodes = t["programme_theory_nodes"]["node_id"]
    rule = "node does not exist in programme_theory_nodes.csv"
    edges = t["programme_theory_edges"]
    return (_unknown("cmocs", t["cmocs"], "proposition_id", nodes, rule)
            + _unknown("programme_theory_edges", edges, "source", nodes, rule)
            + _unknown("programme_theory_edges", edges, "target", nodes, rule))


def _site_of(t) -> dict:
    """Site of every participant and organisation identifier."""
    site = {}
    for table, key in (("organisations", "org_id"), ("participants", "participant_id")):
        frame = t[table].dropna(subset=[key, "site_id"])
        site.update(zip(frame[key], frame["site_id"]))
    return site


@check("participants", "organisations", "connections")
def connection_ends_in_site(t, **_):
    site_of = pd.Series(_site_of(t), dtype=object)
    links = t["connections"]
    problems = []
    for end in ("source_id", "target_id"):
        ident = links[end]
        home = ident.map(site_of)
        unknown = ident.notna() & home.isna()
        problems += _rows_where(links, "connections.csv", end, unknown, "is neither a participant_id nor an org_id")
        elsewhere = home.notna() & links["site_id"].notna() & (home != links["site_id"])
        for line in links.index[elsewhere.fillna(False).astype(bool)]:
            problems.append(Problem("connections.csv", int(line), end,
                                    f"belongs to site {home[line]}, not to the connection's site "
                                    f"{links.at[line, 'site_id']}", ident[line]))
    return problems


@check("participants", "interviews", "segments")
def segments_match_their_interview(t, **_):
    segs = t["segments"]
    interviews = t["interviews"].drop_duplicates("interview_id").set_index("interview_id")
    people = t["participants"].drop_duplicates("participant_id").set_index("participant_id")
    pid, iid = segs["participant_id"], segs["interview_id"]
    home = pid.map(people["site_id"])
    with_pid = iid.map(interviews["participant_id"])
    with_wave = iid.map(interviews["wave"])
    problems = _rows_where(segs, "segments.csv", "participant_id", pid.notna() & home.isna(),
                           "participant does not exist in participants.csv")
    elsewhere = home.notna() & segs["site_id"].notna() & (home != segs["site_id"])
    problems += [Problem("segments.csv", int(line), "participant_id",
                         f"participant belongs to site {home[line]}, not to the segment's site {segs.at[line, 'site_id']}",
                         pid[line]) for line in segs.index[elsewhere.fillna(False).astype(bool)]]
    problems += _rows_where(segs, "segments.csv", "interview_id", (segs["source"] == "interview") & iid.isna(),
                            "an interview segment needs an interview_id")
    problems += _rows_where(segs, "segments.csv", "interview_id", iid.notna() & with_pid.isna(),
                            "interview does not exist in interviews.csv")
    other = pid.notna() & with_pid.notna() & (with_pid != pid)
    problems += [Problem("segments.csv", int(line), "participant_id",
                         f"interview {iid[line]} is with {with_pid[line]}, not this participant", pid[line])
                 for line in segs.index[other.fillna(False).astype(bool)]]
    wrong_wave = segs["wave"].notna() & with_wave.notna() & (segs["wave"] != with_wave)
    problems += [Problem("segments.csv", int(line), "wave", f"interview {iid[line]} is wave {with_wave[line]}",
                         int(segs.at[line, "wave"])) for line in segs.index[wrong_wave.fillna(False).astype(bool)]]
    return problems


@check("sites", "observations")
def observations_in_fieldwork(t, **_):
    sites = t["sites"].drop_duplicates("site_id").set_index("site_id")
    obs = t["observations"]
    start = obs["site_id"].map(sites["fieldwork_start"])
    end = obs["site_id"].map(sites["fieldwork_end"])
    outside = (obs["date"] < start) | (obs["date"] > end)
    return _rows_where(obs, "observations.csv", "date", outside, "date is outside the site's fieldwork (sites.csv)")
