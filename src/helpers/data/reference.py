"""Published reference numbers (ONS4 bands and UK means, GSE scale facts).

The tables live in ``data/reference/`` at the repository root, each row with
its ``source`` and, where the number was not checked at its source, a ``note``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

TABLES = ("ons4_uk_means", "ons4_bands", "gse", "calibration")  # calibration: benchmarks/calibration.py


def reference_dir() -> Path:
    """The ``data/reference`` folder. It sits outside the package, so it is
    found from this file's place in the repository (``src/helpers/data/``)."""
    return Path(__file__).resolve().parents[3] / "data" / "reference"


def load(name: str) -> pd.DataFrame:
    """One reference table by name (one of ``TABLES``)."""
    if name not in TABLES:
        raise ValueError(f"unknown reference table {name!r}; expected one of {', '.join(TABLES)}")
    return pd.read_csv(reference_dir() / f"{name}.csv")
