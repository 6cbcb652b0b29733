"""Content hashes that decide whether a notebook job must run again.

A job's key covers what can change its output: the template, its parameters,
the data rows it reads (a site job hashes only its own site's rows, and a job
that declares `reads` in notebooks/pipeline.yml only those tables), the
helpers package source with the reference tables it reads (data/reference/),
and the locked dependency versions.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from helpers.dataset import Dataset


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    return sha256_bytes(Path(path).read_bytes())


def _tables_digest(tables: dict, metadata) -> str:
    digest = hashlib.sha256(repr(sorted(vars(metadata).items())).encode())
    for name in sorted(tables):
        digest.update(name.encode())
        digest.update(tables[name].to_csv(index=False, lineterminator="\n").encode())
    return digest.hexdigest()


def dataset_fingerprint(dataset: Dataset, reads: list[str] | None = None) -> str:
    """Hash of every row of the tables read (default: all) and of dataset.yml."""
    return _tables_digest(dataset.only(reads).tables, dataset.metadata)


def site_fingerprint(dataset: Dataset, site_id: str, reads: list[str] | None = None) -> str:
    """Hash of one site's rows of the tables read (default: all, shared tables included) and of dataset.yml."""
    site = dataset.only(reads).for_site(site_id)
    return _tables_digest(site.tables, site.metadata)


def code_fingerprint(package: Path, reference: Path) -> str:
    """Hash of a package's source (every .py file) and of the reference tables
    (every .csv in `reference`), each by relative path."""
    digest = hashlib.sha256()
    for folder, pattern in ((package, "*.py"), (reference, "*.csv")):
        for path in sorted(folder.rglob(pattern)):
            digest.update(f"{folder.name}/{path.relative_to(folder)}".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def code_roots() -> tuple[Path, Path]:
    """The helpers package and data/reference/, whose published numbers (UK means,
    ONS bands) the notebooks draw: the code part of every job's key."""
    from helpers.reference import reference_dir

    return Path(__file__).resolve().parents[1], reference_dir()


@cache
def package_fingerprint() -> str:
    """Hash of the code roots: editing either re-runs every job."""
    return code_fingerprint(*code_roots())


def job_key(job, template_hash: str, environment_hash: str) -> str:
    """The cache key of a job: same key, same output."""
    payload = {
        "template": template_hash,
        "parameters": job.parameters,
        "inputs": job.inputs,
        "package": package_fingerprint(),
        "environment": environment_hash,
    }
    return sha256_bytes(json.dumps(payload, sort_keys=True).encode())
