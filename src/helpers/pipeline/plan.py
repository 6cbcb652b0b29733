"""Turn notebooks/pipeline.yml and a dataset into concrete notebook jobs.

pipeline.yml declares, for each notebook template, its scope (one job for the
dataset or one per site), the tables it reads and the results files it writes
with their sensitivity (`aggregate` or `per_person`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from helpers.data.contract import TABLE_BY_NAME
from helpers.data.dataset import Dataset
from helpers.data.problems import UsageError
from helpers.pipeline.fingerprint import TableDigests, dataset_fingerprint, site_fingerprints


@dataclass(frozen=True)
class Job:
    """One notebook execution: a template, its parameters and the data it reads."""

    name: str  # e.g. "overview" or "site-S3"
    template: str  # file name under notebooks/
    output: str  # path under book/generated/
    parameters: dict
    inputs: dict = field(default_factory=dict)  # label -> sha256 of the data read
    site_id: str | None = None
    writes: tuple[str, ...] = ()  # the results files (names without .csv) it must write, no others
    data_slice: str | None = field(default=None, compare=False)  # this run's file of a site job's rows (not in its key)


SENSITIVITIES = ("aggregate", "per_person")


def read_pipeline(notebooks_dir: Path) -> list[dict]:
    """The entries of notebooks/pipeline.yml, checked: a `reads` naming an unknown table, a
    `writes` with an unknown sensitivity, or one results file declared with two sensitivities
    is a usage error."""
    where = f"{notebooks_dir.name}/pipeline.yml"
    spec = yaml.safe_load((notebooks_dir / "pipeline.yml").read_text(encoding="utf-8"))
    for entry in spec["notebooks"]:
        unknown = sorted(set(entry.get("reads") or ()) - set(TABLE_BY_NAME))
        if unknown:
            raise UsageError(f"{where}: {entry['template']} reads "
                             f"{', '.join(unknown)}, which the data contract does not define "
                             f"(tables: {', '.join(TABLE_BY_NAME)})")
        if not isinstance(entry.get("writes"), dict):
            raise UsageError(f"{where}: {entry['template']} has no `writes:` mapping (the results files it "
                             "writes, each with its sensitivity; `writes: {{}}` for none)")
        for name, level in entry["writes"].items():
            if level not in SENSITIVITIES:
                raise UsageError(f"{where}: {entry['template']} writes {name} as {level!r}; "
                                 f"the sensitivity must be one of {', '.join(SENSITIVITIES)}")
    results_files(spec["notebooks"], where)
    return spec["notebooks"]


def results_files(entries: list[dict], where: str = "pipeline.yml") -> dict[str, str]:
    """Every declared results file with its sensitivity, in declaration order."""
    files: dict[str, str] = {}
    for entry in entries:
        for name, level in (entry.get("writes") or {}).items():
            if files.setdefault(name, level) != level:
                raise UsageError(f"{where}: {name} is declared both {files[name]} and {level}; "
                                 "a results file has one sensitivity")
    return files


def plan_jobs(entries: list[dict], dataset: Dataset, data_dir: str, results_dir: str,
              sites: list[str] | None = None, common: dict | None = None,
              of_site: Callable[[str], dict] | None = None) -> list[Job]:
    """Jobs for every pipeline entry; site entries expand to one job per site.

    `common` parameters (the disclosure policy) go to every job, updated for a site job by
    `of_site(site_id)` (the site's own part of the policy). An entry's `reads` (the tables its notebook
    uses) limits what its jobs hash, and is passed on so that the notebook can read
    nothing else. `sites` restricts the site jobs (dataset-wide jobs always run
    on all the data).
    """
    chosen = dataset.site_ids if sites is None else [s for s in dataset.site_ids if s in set(sites)]
    dataset_hashes = {}  # reads -> hash, computed once per distinct declaration
    digests = TableDigests(dataset)  # each table's rows hashed once for every job
    jobs = []
    for entry in entries:
        stem = Path(entry["template"]).stem
        reads = entry.get("reads")
        extra = {**(common or {}), **({"reads": reads} if reads else {})}
        writes = tuple(sorted(entry.get("writes") or ()))
        if entry["scope"] == "site":
            site_hashes = site_fingerprints(dataset, reads, digests)
            for site_id in chosen:
                jobs.append(Job(
                    name=f"{stem}-{site_id}", template=entry["template"],
                    output=entry["output"].format(site_id=site_id),
                    parameters={"site_id": site_id, "data_dir": data_dir,
                                "results_dir": f"{results_dir}/parts/{stem}-{site_id}", **extra,
                                **(of_site(site_id) if of_site else {})},
                    inputs={"site_rows": site_hashes[site_id]}, site_id=site_id,
                    writes=writes,
                ))
        else:
            declared = tuple(reads or ())
            if declared not in dataset_hashes:
                dataset_hashes[declared] = dataset_fingerprint(dataset, reads, digests)
            jobs.append(Job(
                name=stem, template=entry["template"], output=entry["output"],
                parameters={"data_dir": data_dir, "results_dir": f"{results_dir}/parts/{stem}", **extra},
                inputs={"dataset": dataset_hashes[declared]}, writes=writes,
            ))
    return jobs
