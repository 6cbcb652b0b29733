"""The execution store: executed notebooks and their results parts, kept by job key.

An entry is the folder `store/<key[:2]>/<key>/` holding `notebook.ipynb`, `results/`
(the job's results parts) and `record.json`. Keys hash everything that can change a
job's output (fingerprint.job_key), so the entries of any number of datasets and
parameter sets live side by side, and returning to one re-executes nothing.

Consistency under a kill at any moment: an entry is assembled in a staging folder
and appears by one rename, complete or not at all; a pruned entry disappears by one
rename into `trash/` before it is deleted; outputs are copied out by temporary file
and rename. Leftovers of a killed process (staging, trash, temporary files) are
removed by the next run or prune, and no reader ever takes them for an entry.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from helpers.core.files import write_atomic

DEFAULT_MAX_AGE_DAYS = 30.0  # entries unused for longer are pruned after every run
DEFAULT_MAX_SIZE_MB = 2048.0  # and then the least recently used, until the store is this small
RECORD = "record.json"


@dataclass(frozen=True)
class PruneReport:
    removed: int
    removed_bytes: int
    kept: int
    kept_bytes: int


class ExecutionStore:
    """Content-addressed entries, plus each job name's last record (for the queue order)."""

    def __init__(self, cache_dir: Path):
        self.root = cache_dir / "store"
        self.names = cache_dir / "jobs"
        self.trash = cache_dir / "trash"

    def entry(self, key: str) -> Path:
        return self.root / key[:2] / key

    def lookup(self, key: str) -> dict | None:
        """The record of a complete entry, or None."""
        try:
            return json.loads((self.entry(key) / RECORD).read_text(encoding="utf-8"))
        except (FileNotFoundError, NotADirectoryError, json.JSONDecodeError):
            return None

    def last_record(self, name: str) -> dict:
        """The record of the last successful run of job `name` (any key), or {}."""
        try:
            return json.loads((self.names / f"{name}.json").read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    def put(self, key: str, stage: Path, record: dict) -> None:
        """Move a finished job's staging folder (notebook.ipynb, results/) into the store as entry `key`.

        An existing entry of the same key (a forced re-run) is replaced; the rename that
        publishes the new one is atomic, so readers see the old entry, none, or the new one.
        """
        size = sum(p.stat().st_size for p in stage.rglob("*") if p.is_file())
        record = {**record, "key": key, "bytes": size}
        (stage / RECORD).write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        target = self.entry(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            self._discard(target)
        os.rename(stage, target)
        self.names.mkdir(parents=True, exist_ok=True)
        write_atomic(self.names / f"{record['name']}.json", json.dumps(record, indent=2, sort_keys=True) + "\n")

    def touch(self, key: str) -> None:
        """Mark an entry as used now (pruning removes the least recently used first)."""
        os.utime(self.entry(key) / RECORD)

    def results_part(self, key: str, file: str) -> Path:
        return self.entry(key) / "results" / file

    def copy_notebook(self, key: str, output: Path) -> bool:
        """Put the entry's executed notebook at `output`; returns whether the file changed.

        A copy, not a link: a new file gets a new modification time, which is how Sphinx
        knows to read the page again; an identical file is left alone for the same reason.
        """
        source = self.entry(key) / "notebook.ipynb"
        data = source.read_bytes()
        try:
            if output.stat().st_size == len(data) and output.read_bytes() == data:
                return False
        except FileNotFoundError:
            pass
        output.parent.mkdir(parents=True, exist_ok=True)
        tmp = output.with_name(f".{output.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, output)
        return True

    def entries(self) -> list[tuple[str, float, int]]:
        """(key, last used, bytes) of every complete entry."""
        found = []
        if not self.root.is_dir():
            return found
        for bucket in self.root.iterdir():
            if not bucket.is_dir():
                continue
            for folder in bucket.iterdir():
                record = folder / RECORD
                try:
                    used = record.stat().st_mtime
                    size = json.loads(record.read_text(encoding="utf-8")).get("bytes", 0)
                except (OSError, json.JSONDecodeError):  # not an entry (a stray file): ignored
                    continue
                found.append((folder.name, used, int(size)))
        return found

    def prune(self, max_age_days: float | None = DEFAULT_MAX_AGE_DAYS,
              max_size_mb: float | None = DEFAULT_MAX_SIZE_MB, keep: frozenset[str] = frozenset(),
              now: float | None = None) -> PruneReport:
        """Remove entries unused for `max_age_days`, then the least recently used until the
        store holds at most `max_size_mb`; the entries in `keep` (the current build's) stay."""
        self.empty_trash()
        now = time.time() if now is None else now
        entries = sorted(self.entries(), key=lambda e: e[1], reverse=True)  # most recently used first
        kept, removed = [], []
        for key, used, size in entries:
            too_old = max_age_days is not None and now - used > max_age_days * 86400
            (removed if too_old and key not in keep else kept).append((key, used, size))
        if max_size_mb is not None:
            limit = max_size_mb * 1024 * 1024
            total = sum(size for _, _, size in kept)
            for item in reversed(list(kept)):  # least recently used first
                if total <= limit:
                    break
                if item[0] not in keep:
                    kept.remove(item)
                    removed.append(item)
                    total -= item[2]
        for key, _, _ in removed:
            self._discard(self.entry(key))
        self.empty_trash()
        return PruneReport(len(removed), sum(e[2] for e in removed), len(kept), sum(e[2] for e in kept))

    def _discard(self, folder: Path) -> None:
        """Take an entry out of the store at once (one rename); its files are deleted afterwards."""
        self.trash.mkdir(parents=True, exist_ok=True)
        os.rename(folder, self.trash / f"{folder.name}-{uuid.uuid4().hex[:8]}")

    def empty_trash(self) -> None:
        if self.trash.is_dir():
            for folder in self.trash.iterdir():
                shutil.rmtree(folder, ignore_errors=True)
