"""Write results tables so that the same inputs give byte-identical files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def write_result(frame: pd.DataFrame, results_dir, name: str) -> Path:
    """Write `frame` as results_dir/name.csv: no index, '\\n' line ends, 10 significant digits."""
    path = Path(results_dir) / f"{name}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n", float_format="%.10g")
    return path
