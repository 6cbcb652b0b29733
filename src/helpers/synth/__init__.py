"""Synthetic datasets that follow the data contract, with planted effects.

>>> from helpers.synth import generate, write_dataset
>>> data = generate(n_sites=7)          # tables, metadata (dataset.yml) and truth
>>> write_dataset("data/synthetic")     # <table>.csv, dataset.yml, truth.json

The same `n_sites` and `seed` always give byte-identical files. The planted
effects (embeddedness per site, attrition, GP contact curve, ...) are in
`truth`; analysis code must find them in the tables, never read them.
"""

from __future__ import annotations

from pathlib import Path

from helpers.synth.build import DEFAULT_SEED, SyntheticDataset, generate
from helpers.synth.output import write

__all__ = ["DEFAULT_SEED", "SyntheticDataset", "generate", "write_dataset"]


def write_dataset(out_dir, n_sites: int = 7, seed: int = DEFAULT_SEED, scenario: str = "planted") -> Path:
    """Generate a dataset and write it to `out_dir` (created if needed); returns the directory."""
    return write(generate(n_sites=n_sites, seed=seed, scenario=scenario), out_dir)
