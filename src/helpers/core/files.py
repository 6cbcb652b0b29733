"""Files written so that a reader, or a killed process, never sees half of them."""

from __future__ import annotations

import errno
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


_STORAGE_ADVICE = {
    errno.EACCES: "is not writable: give linkbook write access to it, or choose another folder",
    errno.EPERM: "is not writable: give linkbook write access to it, or choose another folder",
    errno.EROFS: "is on a read-only file system: choose a writable folder",
    errno.ENOSPC: "could not be written: the disk is full; free some space and run again",
    errno.EDQUOT: "could not be written: the disk quota is used up; free some space and run again",
}


def storage_message(err: OSError) -> str | None:
    """One line naming the path and what to do, for an OSError the user can fix (permissions,
    read-only or full disk); None for any other error."""
    advice = _STORAGE_ADVICE.get(err.errno)
    if advice is None:
        return None
    path = err.filename if err.filename is not None else "a file"
    return f"{path} {advice} ({err.strerror or os.strerror(err.errno)})"


def check_writable(folder: Path) -> None:
    """Raise the OSError of a folder that cannot be created or written (before hours of work).
    A folder that does not exist yet is not created: its nearest existing parent is probed."""
    existing = folder if folder.exists() else next((p for p in folder.parents if p.exists()), folder)
    probe = existing / f".write-test-{os.getpid()}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        raise OSError(err.errno, err.strerror, str(folder)) from None
