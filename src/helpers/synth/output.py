"""Write a generated dataset to a directory: CSV tables, dataset.yml, truth.json."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from helpers.data.contract import TABLES
from helpers.synth.build import SyntheticDataset


def write(dataset: SyntheticDataset, out_dir) -> Path:
    """Write every table as `<table>.csv` (UTF-8, `\\n` line ends, blanks for missing values)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for table in TABLES:
        text = dataset.tables[table.name].to_csv(index=False, lineterminator="\n")
        (out / table.file).write_bytes(text.encode("utf-8"))
    (out / "dataset.yml").write_bytes(
        yaml.safe_dump(dataset.metadata, sort_keys=False, allow_unicode=True).encode("utf-8"))
    (out / "truth.json").write_bytes((json.dumps(dataset.truth, sort_keys=True, indent=2) + "\n").encode("utf-8"))
    return out
