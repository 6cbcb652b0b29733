"""Load a dataset directory into one validated object.

`validate_dataset` collects every problem (file, line, column, rule, value);
`load_dataset` returns a `Dataset` or raises `InvalidDataset` with all of them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import pickle
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from helpers.data.contract import TABLE_BY_NAME, TABLES, Table
from helpers.data.cross_checks import run_cross_checks
from helpers.data.reading import read_text_table
from helpers.data.metadata import FILE as METADATA_FILE, Metadata, read_metadata
from helpers.data.parsing import parse_table
from helpers.data.problems import InvalidDataset, Problem

_PANDERA_RULES = {
    "not_nullable": "required value is blank",
    "field_uniqueness": "value must be unique but appears more than once",
}


class DeclaredTables(dict):
    """The tables a notebook declared in notebooks/pipeline.yml; reading any other is refused by name."""

    def __missing__(self, name):
        raise KeyError(self.refusal(name))

    def refusal(self, name: str) -> str:
        return (f"table '{name}' is not among the tables this notebook declares it reads "
                f"({', '.join(self)}): add it to the notebook's `reads` in notebooks/pipeline.yml")


@dataclass(frozen=True)
class Dataset:
    """A validated dataset: metadata plus one typed DataFrame per contract table."""

    path: Path
    metadata: Metadata
    tables: dict[str, pd.DataFrame]

    def __getattr__(self, name):
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        if isinstance(tables, DeclaredTables) and name in TABLE_BY_NAME:
            raise AttributeError(tables.refusal(name))
        raise AttributeError(name)

    def only(self, names: list[str] | None) -> Dataset:
        """The same dataset limited to the tables a notebook declares it reads (None: all).

        Reading any other table then fails with a message naming the declaration,
        so a job's cache key (which hashes only the declared tables) cannot miss
        a change to data the notebook uses.
        """
        if names is None:
            return self
        unknown = sorted(set(names) - set(TABLE_BY_NAME))
        if unknown:
            raise KeyError(f"not tables of the data contract: {', '.join(unknown)}")
        return replace(self, tables=DeclaredTables({n: self.tables[n] for n in names}))

    @property
    def site_ids(self) -> list[str]:
        return list(self.tables["sites"]["site_id"])

    @property
    def patients(self) -> pd.DataFrame:
        people = self.tables["participants"]
        return people[people["group"] == "patient"].reset_index(drop=True)

    def for_site(self, site_id: str) -> Dataset:
        """The rows that belong to one site (theory and codebook tables are shared)."""
        t = self.tables
        if site_id not in set(t["sites"]["site_id"]):
            raise KeyError(f"site {site_id!r} is not in {self.path}/sites.csv")
        subset = dict(t)
        for name in ("sites", "participants", "observations", "organisations", "connections", "segments"):
            if name in t:
                subset[name] = t[name][t[name]["site_id"] == site_id]
        if "participants" in t:
            people = subset["participants"]["participant_id"]
            for name in ("interviews", "questionnaires", "gp_contacts"):
                if name in t:
                    subset[name] = t[name][t[name]["participant_id"].isin(people)]
        if "segments" in t:
            segments = subset["segments"]["segment_id"]
            for name in ("codings", "cmoc_evidence"):
                if name in t:
                    subset[name] = t[name][t[name]["segment_id"].isin(segments)]
        return replace(self, tables=type(t)({k: v.reset_index(drop=True) for k, v in subset.items()}))

    def row_sites(self) -> dict[str, pd.Series]:
        """For each table split by site, the site of each of its rows (as `for_site` assigns them:
        by the row's site, participant or segment; NaN for a row whose owner is unknown). Tables
        not listed (the theory and the codebook) are shared by every site."""
        t = self.tables
        owners = {name: t[name]["site_id"] for name in
                  ("sites", "participants", "observations", "organisations", "connections", "segments") if name in t}
        for key, by in (("participants", ("interviews", "questionnaires", "gp_contacts")),
                        ("segments", ("codings", "cmoc_evidence"))):
            if key in t:
                column = key[:-1] + "_id"
                site_of = t[key].drop_duplicates(column).set_index(column)["site_id"]
                owners.update({name: t[name][column].map(site_of) for name in by if name in t})
        return owners

    def split_sites(self) -> dict[str, Dataset]:
        """`for_site` of every site, in one pass over each table instead of one per site
        (a dataset of 1,250 sites would otherwise be filtered 1,250 times)."""
        t = self.tables
        ids = list(t["sites"]["site_id"])
        parts = {site_id: dict(t) for site_id in ids}
        for name, owner in self.row_sites().items():
            frame = t[name]
            groups = dict(iter(frame.groupby(owner.to_numpy(), sort=False))) if len(frame) else {}
            for site_id in ids:
                parts[site_id][name] = groups.get(site_id, frame.iloc[0:0])
        return {site_id: replace(self, tables=type(t)({k: v.reset_index(drop=True) for k, v in part.items()}))
                for site_id, part in parts.items()}


def write_site_slices(dataset: Dataset, folder: Path, site_ids: list[str]) -> dict[str, Path]:
    """Pickle each of `site_ids`' rows (Dataset.split_sites, in one pass) into `folder`, so that a
    site job reads its own slice, not the whole dataset; returns site_id -> file.

    A slice keeps the whole sites table (read by `load_site`'s caller as `dataset.sites`):
    excerpt labels number a site among all sites.
    """
    folder.mkdir(parents=True, exist_ok=True)
    wanted = set(site_ids)
    files = {}
    # one pass over each table for many sites; filtering it per site for a few (one site changed)
    parts = dataset.split_sites() if len(wanted) > 8 else {s: dataset.for_site(s) for s in site_ids}
    for site_id, part in parts.items():
        if site_id not in wanted:
            continue
        if "sites" in dataset.tables:
            part = replace(part, tables=type(part.tables)({**part.tables, "sites": dataset.tables["sites"]}))
        files[site_id] = folder / f"{site_id}.pickle"
        tmp = folder / f".{site_id}.{os.getpid()}.tmp"
        with tmp.open("wb") as handle:
            pickle.dump((site_id, part), handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, files[site_id])
    return files


def load_site(path, site_id: str, site_data=None) -> Dataset:
    """One site's rows of the validated dataset at `path`, with the whole sites table.

    `linkbook run` passes `site_data`, the slice it wrote (`write_site_slices`) after validating
    the data; without it (a notebook opened by hand) the whole dataset is loaded and validated,
    raising InvalidDataset with every problem. `for_site(site_id)` of the result is the site.
    """
    if site_data is None:
        dataset = load_dataset(path)
        part = dataset.for_site(site_id)
        return replace(part, tables=type(part.tables)({**part.tables, "sites": dataset.tables["sites"]}))
    _LOADED.clear()  # a kernel that ran a dataset-wide notebook before need not keep every table
    with open(site_data, "rb") as handle:
        owner, part = pickle.load(handle)
    if owner != site_id:
        raise KeyError(f"{site_data} holds no rows of site {site_id!r}")
    return replace(part, path=Path(path))


def _schema_problems(frame: pd.DataFrame, table: Table) -> list[Problem]:
    import pandera.pandas as pa  # imported here: loading a validated snapshot does not need it

    from helpers.data.schemas import schema_for

    try:
        schema_for(table.name).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
        composite = cases["check"] == "multiple_fields_uniqueness"
        problems = [_from_failure(row, table) for row in cases[~composite].itertuples(index=False)]
        return problems + _duplicate_keys(frame, table, cases.loc[composite, "index"])
    return []


def _duplicate_keys(frame: pd.DataFrame, table: Table, lines) -> list[Problem]:
    """One problem per row whose key columns together repeat another row's."""
    rule = f"combination of {', '.join(table.key)} appears more than once"
    return [Problem(table.file, int(line), ", ".join(table.key), rule,
                    ", ".join(str(frame.at[line, c]) for c in table.key))
            for line in sorted(set(lines.dropna().astype(int)))]


def _from_failure(case, table: Table) -> Problem:
    rule = _PANDERA_RULES.get(case.check, case.check)
    line = None if pd.isna(case.index) else int(case.index)
    value = None if pd.isna(case.failure_case) else case.failure_case
    return Problem(table.file, line, case.column, rule, value)


def validate_dataset(path, today: dt.date | None = None) -> tuple[Dataset | None, list[Problem]]:
    """Read and check every table of a dataset directory; return it (if valid) and all problems."""
    path = Path(path)
    today = today or dt.date.today()
    if not path.is_dir():
        return None, [Problem(str(path), None, None, "dataset directory does not exist")]
    meta, problems = read_metadata(path, today)
    typed: dict[str, pd.DataFrame | None] = {}
    for table in TABLES:
        text, read_problems = read_text_table(path / table.file, table)
        problems += read_problems
        if text is None:
            typed[table.name] = None
            continue
        frame, parse_problems = parse_table(text, table)
        problems += parse_problems + _schema_problems(frame, table)
        typed[table.name] = frame
    if meta is not None:
        problems += run_cross_checks(typed, meta, today)
    problems = sorted(set(problems), key=Problem.sort_key)
    if problems:
        return None, problems
    tables = {name: frame.reset_index(drop=True) for name, frame in typed.items()}
    return Dataset(path=path, metadata=meta, tables=tables), []


def load_dataset(path) -> Dataset:
    """The validated dataset at `path`; raises InvalidDataset listing every problem.

    Inside a project, a validated copy is kept in .linkbook-cache/validated/,
    keyed by the bytes of every data file, the helpers source and today's date,
    so the notebooks of one run validate the data once, not once each.
    """
    path = Path(path)
    snapshot = _snapshot_path(path)
    if snapshot is not None and snapshot in _LOADED:
        return _fresh_copy(_LOADED[snapshot], path)
    if snapshot is not None and snapshot.is_file():
        with snapshot.open("rb") as handle:
            dataset = pickle.load(handle)
        _LOADED.clear()
        _LOADED[snapshot] = dataset
        return _fresh_copy(dataset, path)
    dataset, problems = validate_dataset(path)
    if problems:
        raise InvalidDataset(path, problems)
    if snapshot is not None:
        snapshot.parent.mkdir(parents=True, exist_ok=True)
        tmp = snapshot.with_name(f".{snapshot.name}.{os.getpid()}.tmp")
        with tmp.open("wb") as handle:
            pickle.dump(dataset, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, snapshot)
        _prune_snapshots(snapshot.parent, keep=16)
    return dataset


# The last validated snapshot loaded by this process: a warm kernel runs one notebook after
# another on the same data, and unpickling every table of a dataset of a thousand sites
# for each of them would cost more than most site notebooks' analysis. One entry only.
_LOADED: dict[Path, Dataset] = {}


def _fresh_copy(dataset: Dataset, path: Path) -> Dataset:
    """A copy whose tables a notebook may change without changing the kept one (copy-on-write
    frames: the shallow copy costs nothing until written to)."""
    return replace(dataset, path=path, tables={name: frame.copy(deep=False) for name, frame in dataset.tables.items()})


def _prune_snapshots(folder: Path, keep: int) -> None:
    snapshots = sorted(folder.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in snapshots[keep:]:
        old.unlink(missing_ok=True)


def _validation_code() -> str:
    """Hash of the code that validates and loads a dataset (the core and data layers)."""
    from helpers.core.hashing import layer_roots, tree_digest

    return tree_digest(layer_roots("core", "data"))


def _snapshot_path(path: Path) -> Path | None:
    from helpers.core.project import Project

    try:
        project = Project.find()
    except FileNotFoundError:
        return None
    if not path.is_dir():
        return None
    digest = hashlib.sha256(f"{_validation_code()} {dt.date.today()}".encode())
    for name, value in sorted(file_hashes(path).items()):
        digest.update(f"{name} {value}".encode())
    return project.cache / "validated" / f"{digest.hexdigest()}.pickle"


def file_hashes(path) -> dict[str, str]:
    """SHA-256 of every file of the dataset (metadata and tables), by file name."""
    path = Path(path)
    names = [METADATA_FILE] + [t.file for t in TABLES]
    return {name: hashlib.sha256((path / name).read_bytes()).hexdigest() for name in names if (path / name).is_file()}
