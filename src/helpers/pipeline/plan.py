"""Turn notebooks/pipeline.yml and a dataset into concrete notebook jobs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from helpers.data.contract import TABLE_BY_NAME
from helpers.data.dataset import Dataset
from helpers.data.problems import UsageError
from helpers.pipeline.fingerprint import dataset_fingerprint, site_fingerprint


@dataclass(frozen=True)
class Job:
    """One notebook execution: a template, its parameters and the data it reads."""

    name: str  # e.g. "overview" or "site-S3"
    template: str  # file name under notebooks/
    output: str  # path under book/generated/
    parameters: dict
    inputs: dict = field(default_factory=dict)  # label -> sha256 of the data read
    site_id: str | None = None


def read_pipeline(notebooks_dir: Path) -> list[dict]:
    """The entries of notebooks/pipeline.yml; a `reads` naming an unknown table is a usage error."""
    spec = yaml.safe_load((notebooks_dir / "pipeline.yml").read_text(encoding="utf-8"))
    for entry in spec["notebooks"]:
        unknown = sorted(set(entry.get("reads") or ()) - set(TABLE_BY_NAME))
        if unknown:
            raise UsageError(f"{notebooks_dir.name}/pipeline.yml: {entry['template']} reads "
                             f"{', '.join(unknown)}, which the data contract does not define "
                             f"(tables: {', '.join(TABLE_BY_NAME)})")
    return spec["notebooks"]


def plan_jobs(entries: list[dict], dataset: Dataset, data_dir: str, results_dir: str,
              sites: list[str] | None = None, common: dict | None = None) -> list[Job]:
    """Jobs for every pipeline entry; site entries expand to one job per site.

    `common` parameters (the disclosure policy) go to every job, and an entry's
    `parameters` to each of its jobs. An entry's `reads` (the tables its notebook
    uses) limits what its jobs hash, and is passed on so that the notebook can read
    nothing else. `sites` restricts the site jobs (dataset-wide jobs always run
    on all the data).
    """
    chosen = dataset.site_ids if sites is None else [s for s in dataset.site_ids if s in set(sites)]
    dataset_hashes = {}  # reads -> hash, computed once per distinct declaration
    jobs = []
    for entry in entries:
        stem = Path(entry["template"]).stem
        reads = entry.get("reads")
        extra = {**(common or {}), **(entry.get("parameters") or {}), **({"reads": reads} if reads else {})}
        if entry["scope"] == "site":
            for site_id in chosen:
                jobs.append(Job(
                    name=f"{stem}-{site_id}", template=entry["template"],
                    output=entry["output"].format(site_id=site_id),
                    parameters={"site_id": site_id, "data_dir": data_dir,
                                "results_dir": f"{results_dir}/parts/{stem}-{site_id}", **extra},
                    inputs={"site_rows": site_fingerprint(dataset, site_id, reads)}, site_id=site_id,
                ))
        else:
            declared = tuple(reads or ())
            if declared not in dataset_hashes:
                dataset_hashes[declared] = dataset_fingerprint(dataset, reads)
            jobs.append(Job(
                name=stem, template=entry["template"], output=entry["output"],
                parameters={"data_dir": data_dir, "results_dir": f"{results_dir}/parts/{stem}", **extra},
                inputs={"dataset": dataset_hashes[declared]},
            ))
    return jobs
