"""Records of successful job runs, so an unchanged job is not run again.

A record is written only after a job's outputs are in place, and it is
written atomically, so a killed run never leaves a record that lies.
"""

from __future__ import annotations

import json
from pathlib import Path

from helpers.core.files import write_atomic


class JobCache:
    def __init__(self, directory: Path):
        self.directory = directory / "jobs"

    def _path(self, name: str) -> Path:
        return self.directory / f"{name}.json"

    def lookup(self, name: str) -> dict | None:
        try:
            return json.loads(self._path(name).read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def is_fresh(self, name: str, key: str, output: Path) -> bool:
        record = self.lookup(name)
        return bool(record) and record.get("key") == key and output.is_file()

    def store(self, name: str, record: dict) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        write_atomic(self._path(name), json.dumps(record, indent=2, sort_keys=True) + "\n")
