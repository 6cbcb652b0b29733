"""The execution store: entries by key, pruning by age and size, and consistency after SIGKILL."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from helpers.pipeline.cache import ExecutionStore

from support import ROOT

DAY = 86400


def _stage(folder: Path, name: str, payload: bytes) -> Path:
    (folder / "results").mkdir(parents=True)
    (folder / "notebook.ipynb").write_bytes(payload)
    (folder / "results" / "outcomes.csv").write_bytes(b"site_id\n" + payload[:20] + b"\n")
    return folder


def _put(store: ExecutionStore, tmp: Path, key: str, payload: bytes, name: str = "site-S1") -> None:
    store.put(key, _stage(tmp / f"stage-{key}", name, payload), {"name": name, "duration_s": 1.0})


def test_entries_of_two_keys_of_one_job_coexist_and_each_gives_back_its_own_notebook(tmp_path):
    store = ExecutionStore(tmp_path / "cache")
    _put(store, tmp_path, "a" * 64, b"dataset one")
    _put(store, tmp_path, "b" * 64, b"dataset two")
    out = tmp_path / "book" / "site.ipynb"
    assert store.copy_notebook("a" * 64, out) and out.read_bytes() == b"dataset one"
    assert store.copy_notebook("b" * 64, out) and out.read_bytes() == b"dataset two"
    assert store.results_part("a" * 64, "outcomes.csv").read_bytes() == b"site_id\ndataset one\n"
    assert store.last_record("site-S1")["key"] == "b" * 64


def test_copying_an_identical_notebook_keeps_its_modification_time(tmp_path):
    store = ExecutionStore(tmp_path / "cache")
    _put(store, tmp_path, "c" * 64, b"same bytes")
    out = tmp_path / "site.ipynb"
    store.copy_notebook("c" * 64, out)
    os.utime(out, (1_000_000, 1_000_000))
    assert not store.copy_notebook("c" * 64, out)
    assert out.stat().st_mtime == 1_000_000  # Sphinx would otherwise read the page again


def test_prune_removes_old_entries_then_least_recently_used_beyond_the_size_and_keeps_the_current(tmp_path):
    store = ExecutionStore(tmp_path / "cache")
    now = time.time()
    ages = {"1" * 64: 40, "2" * 64: 3, "3" * 64: 2, "4" * 64: 1, "5" * 64: 50}
    for key, days in ages.items():
        _put(store, tmp_path, key, b"x" * 300_000)
        record = store.entry(key) / "record.json"
        os.utime(record, (now - days * DAY, now - days * DAY))
    # 1 is over 30 days old, 5 too but kept as the current build's; then 2 (least recent) goes for size
    report = store.prune(max_age_days=30, max_size_mb=0.9, keep=frozenset({"5" * 64}), now=now)
    left = {key for key, _, _ in store.entries()}
    assert left == {"3" * 64, "4" * 64, "5" * 64}
    assert (report.removed, report.kept) == (2, 3)
    assert report.kept_bytes == sum(size for _, _, size in store.entries())
    assert not any((tmp_path / "cache" / "trash").iterdir())


def test_a_forced_rerun_replaces_the_entry_of_its_key(tmp_path):
    store = ExecutionStore(tmp_path / "cache")
    _put(store, tmp_path, "d" * 64, b"first")
    _put(store, tmp_path, "d" * 64, b"second")
    assert (store.entry("d" * 64) / "notebook.ipynb").read_bytes() == b"second"
    assert len(store.entries()) == 1


WRITER = """
import random, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[2])
from helpers.pipeline.cache import ExecutionStore
root = Path(sys.argv[1])
store = ExecutionStore(root / "cache")
rng = random.Random(int(sys.argv[3]))
for i in range(10 ** 6):
    key = f"{rng.randrange(40):064x}"
    stage = root / "staging" / f"{i}"
    (stage / "results").mkdir(parents=True)
    payload = bytes([i % 251]) * rng.randrange(1, 200_000)
    (stage / "notebook.ipynb").write_bytes(payload)
    (stage / "results" / "part.csv").write_bytes(payload[:1000])
    store.put(key, stage, {"name": f"job{rng.randrange(5)}", "payload": len(payload)})
    if i % 7 == 0:
        store.prune(max_age_days=None, max_size_mb=2)
    store.copy_notebook(key, root / "book" / "out.ipynb")
"""


def test_sigkill_at_random_moments_never_leaves_a_partial_entry(tmp_path):
    rng = random.Random(19)
    for round_ in range(6):
        process = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), str(ROOT / "src"), str(round_)])
        time.sleep(rng.uniform(0.3, 1.5))
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        store = ExecutionStore(tmp_path / "cache")
        entries = store.entries()
        assert entries, "the writer stored nothing before the kill"
        for key, _, size in entries:
            entry = store.entry(key)
            record = json.loads((entry / "record.json").read_text())
            notebook = (entry / "notebook.ipynb").read_bytes()
            assert record["key"] == key and len(notebook) == record["payload"]
            assert (entry / "results" / "part.csv").read_bytes() == notebook[:1000]
            assert size == len(notebook) + min(1000, len(notebook))
        for job in (tmp_path / "cache" / "jobs").glob("*.json"):
            json.loads(job.read_text())
        out = tmp_path / "book" / "out.ipynb"
        if out.exists():  # whole, never half: one byte value repeated
            assert len(set(out.read_bytes())) == 1
        # the next process carries on over the leftovers (staging, trash, temporary files)
        (tmp_path / "staging").rename(tmp_path / f"old-staging-{round_}")
    store.prune(max_age_days=None, max_size_mb=0)
    assert store.entries() == [] and not any((tmp_path / "cache" / "trash").iterdir())
