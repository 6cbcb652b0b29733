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

import numpy as np
import pandas as pd

from helpers.core.hashing import PACKAGE, layer_roots, sha256_bytes, tree_digest
from helpers.data.dataset import Dataset
from helpers.data.reference import reference_dir

NOTEBOOK_LAYERS = ("core", "data", "analysis", "report")  # what a notebook imports


def _header(name: str, frame: pd.DataFrame) -> bytes:
    return repr((name, list(frame.columns), [str(d) for d in frame.dtypes])).encode()


def _row_hashes(frame: pd.DataFrame) -> np.ndarray:
    """Two independent 64-bit hashes of each row's values, as an (n, 2) array: a 128-bit digest
    per row, computed for the whole table in one vectorised pass."""
    if not len(frame):
        return np.zeros((0, 2), dtype=np.uint64)
    return np.column_stack([pd.util.hash_pandas_object(frame, index=False, hash_key=key).to_numpy()
                            for key in _HASH_KEYS])


_HASH_KEYS = ("linkbook-rows-01", "linkbook-rows-02")  # 16 bytes each, as pandas requires


class TableDigests:
    """The digests a plan's jobs share, each computed once: of each whole table (dataset-wide
    jobs, and the tables every site job reads whole) and of each site's rows of each table split
    by site (`Dataset.row_sites`). The rows of a table are hashed once, whatever the number of
    sites, instead of once per site."""

    def __init__(self, dataset: Dataset):
        self.dataset = dataset
        self._whole: dict[str, bytes] = {}
        self._by_site: dict[str, dict[str, bytes]] = {}
        self._owners = dataset.row_sites()

    def whole(self, name: str) -> bytes:
        if name not in self._whole:
            frame = self.dataset.tables[name]
            digest = hashlib.sha256(_header(name, frame))
            digest.update(_row_hashes(frame).tobytes())
            self._whole[name] = digest.digest()
        return self._whole[name]

    def by_site(self, name: str) -> dict[str, bytes]:
        """site_id -> digest of that site's rows of `name`, in table order (every site, even with none)."""
        if name not in self._by_site:
            frame = self.dataset.tables[name]
            header, rows = _header(name, frame), _row_hashes(frame)
            owner = self._owners[name].reset_index(drop=True)
            positions = owner.groupby(owner, sort=False).indices  # site -> its rows' positions, in order
            self._by_site[name] = {}
            for site_id in self.dataset.site_ids:
                digest = hashlib.sha256(header)
                if site_id in positions:
                    digest.update(rows[positions[site_id]].tobytes())
                self._by_site[name][site_id] = digest.digest()
        return self._by_site[name]

    def split(self, name: str) -> bool:
        """Whether a site job reads only its own rows of `name` (the sites table is read whole)."""
        return name in self._owners and name != "sites"


def _metadata(dataset: Dataset) -> bytes:
    return repr(sorted(vars(dataset.metadata).items())).encode()


def dataset_fingerprint(dataset: Dataset, reads: list[str] | None = None, digests: TableDigests | None = None) -> str:
    """Hash of every row of the tables read (default: all) and of dataset.yml."""
    digests = digests or TableDigests(dataset)
    digest = hashlib.sha256(_metadata(dataset))
    for name in sorted(dataset.only(reads).tables):
        digest.update(digests.whole(name))
    return digest.hexdigest()


def site_fingerprints(dataset: Dataset, reads: list[str] | None = None,
                      digests: TableDigests | None = None) -> dict[str, str]:
    """Hash of each site's rows of the tables read (default: all, shared tables included) and of
    dataset.yml, by site.

    The whole sites table counts for every site, as a site job reads it whole
    (`write_site_slices`): excerpt labels number a site among all the sites."""
    digests = digests or TableDigests(dataset)
    names = sorted(dataset.only(reads).tables)
    per_site = {name: digests.by_site(name) for name in names if digests.split(name)}
    shared = b"".join(digests.whole(name) for name in names if not digests.split(name))
    out = {}
    for site_id in dataset.site_ids:
        digest = hashlib.sha256(_metadata(dataset) + shared)
        for name in per_site:
            digest.update(per_site[name][site_id])
        out[site_id] = digest.hexdigest()
    return out


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
