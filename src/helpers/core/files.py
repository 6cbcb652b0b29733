"""Files written so that a reader, or a killed process, never sees half of them."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path


def write_atomic(path: Path, text: str) -> None:
    """Write a text file so that readers see the old or the new content, never half.

    A file that already holds `text` is left alone: Sphinx re-reads every page
    that includes a file whose modification time changed.
    """
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except (FileNotFoundError, UnicodeDecodeError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def replace_dir(new: Path, target: Path) -> None:
    """Move `new` to `target`, replacing it; the old copy is removed only afterwards."""
    target.parent.mkdir(parents=True, exist_ok=True)
    old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:6]}")
    if target.exists():
        os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)


def restore_interrupted(target: Path) -> None:
    """If a `replace_dir` was killed between its two renames, put the old copy back."""
    if target.exists():
        return
    olds = sorted(target.parent.glob(f".{target.name}.old-*"))
    if olds:
        os.replace(olds[-1], target)
