"""Atomic writes of generated files: unchanged content keeps its modification time."""

from __future__ import annotations

import os

from helpers.core.files import write_atomic


def test_rewriting_the_same_text_leaves_the_file_and_its_time_alone(tmp_path):
    path = tmp_path / "page.md"
    write_atomic(path, "# Page\n")
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    write_atomic(path, "# Page\n")
    assert path.stat().st_mtime_ns == 1_000_000_000


def test_new_text_replaces_the_file_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "sub" / "page.md"
    write_atomic(path, "# Page\n")
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    write_atomic(path, "# Page, corrected\n")
    assert path.read_text(encoding="utf-8") == "# Page, corrected\n"
    assert path.stat().st_mtime_ns != 1_000_000_000
    assert [p.name for p in path.parent.iterdir()] == ["page.md"]
