"""Content hashes of bytes, files and source trees, for caches that must notice every change."""

from __future__ import annotations

import hashlib
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]  # src/helpers


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    return sha256_bytes(Path(path).read_bytes())


def tree_digest(roots) -> str:
    """Hash of every .py and .csv file under `roots` (folders or single files), each by its
    path relative to its root's parent, so that moving a file changes the hash too."""
    digest = hashlib.sha256()
    for root in map(Path, roots):
        files = [root] if root.is_file() else sorted(p for pattern in ("*.py", "*.csv") for p in root.rglob(pattern))
        for path in sorted(files):
            digest.update(str(path.relative_to(root.parent)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def layer_roots(*layers: str) -> tuple[Path, ...]:
    """The folders of the named layers of the helpers package (e.g. "data", "analysis")."""
    return tuple(PACKAGE / layer for layer in layers)
