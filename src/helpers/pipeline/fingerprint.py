"""Content hashes that decide whether a notebook job must run again.

A job's key covers what can change its output: the template, its parameters,
the data rows it reads (a site job hashes only its own site's rows, and a job
that declares `reads` in notebooks/pipeline.yml only those tables), the code a
notebook can run (the core, data, analysis and report layers of the helpers
package, not the importers, the synthetic-data generator, the pipeline, the
book build or the command line) with the reference tables it reads
(data/reference/), and the locked dependency versions.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from helpers.core.hashing import PACKAGE, layer_roots, sha256_bytes, tree_digest
from helpers.data.dataset import Dataset
from helpers.data.reference import reference_dir

NOTEBOOK_LAYERS = ("core", "data", "analysis", "report")  # what a notebook imports


def _tables_digest(tables: dict, metadata) -> str:
    digest = hashlib.sha256(repr(sorted(vars(metadata).items())).encode())
    for name in sorted(tables):
        digest.update(name.encode())
        digest.update(tables[name].to_csv(index=False, lineterminator="\n").encode())
    return digest.hexdigest()


def dataset_fingerprint(dataset: Dataset, reads: list[str] | None = None) -> str:
    """Hash of every row of the tables read (default: all) and of dataset.yml."""
    return _tables_digest(dataset.only(reads).tables, dataset.metadata)


def site_fingerprints(dataset: Dataset, reads: list[str] | None = None) -> dict[str, str]:
    """Hash of each site's rows of the tables read (default: all, shared tables included) and of
    dataset.yml, by site; the dataset is split once (Dataset.split_sites).

    The whole sites table counts for every site, as a site job reads it whole
    (`write_site_slices`): excerpt labels number a site among all the sites."""
    read = dataset.only(reads)
    every_site = {"sites": read.tables["sites"]} if "sites" in read.tables else {}
    return {site_id: _tables_digest({**site.tables, **every_site}, site.metadata)
            for site_id, site in read.split_sites().items()}


def code_roots() -> tuple[Path, ...]:
    """What a notebook can run: the notebook layers of the helpers package (and its
    `__init__`), and data/reference/, whose published numbers (UK means, ONS bands)
    the notebooks draw. Editing any of them re-runs every job."""
    return (PACKAGE / "__init__.py", *layer_roots(*NOTEBOOK_LAYERS), reference_dir())


@cache
def package_fingerprint() -> str:
    """Hash of the code roots: the code part of every job's key."""
    return tree_digest(code_roots())


def job_key(job, template_hash: str, environment_hash: str) -> str:
    """The cache key of a job: same key, same output."""
    payload = {
        "template": template_hash,
        "parameters": job.parameters,
        "writes": list(job.writes),
        "inputs": job.inputs,
        "package": package_fingerprint(),
        "environment": environment_hash,
    }
    return sha256_bytes(json.dumps(payload, sort_keys=True).encode())
