"""What the book's "How to cite this book" section says: read from CITATION.cff and the
checkout when the book is built, never typed.

The build date is today's date (UTC), or the date of SOURCE_DATE_EPOCH when it is set,
for reproducible builds; the commit is the checkout's, marked when files differ from it.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

import yaml

CONTENT_LICENCE = "Creative Commons Attribution 4.0 International (CC BY 4.0)"


def _commit(root: Path) -> str:
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"], capture_output=True,
                              text=True, timeout=10)
        if head.returncode != 0:
            return "none (not built from a git checkout)"
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "unknown (git is not available)"
    return head.stdout.strip() + (" with uncommitted changes" if dirty else "")


def build_date() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc) if epoch else dt.datetime.now(dt.timezone.utc)
    return moment.date().isoformat()


def citation_substitutions(root: Path) -> dict[str, str]:
    """MyST substitutions for the citation section: title, authors, version, commit, date, licences."""
    cff = yaml.safe_load((root / "CITATION.cff").read_text(encoding="utf-8")) if (root / "CITATION.cff").is_file() \
        else {}
    authors = ", ".join(a.get("name") or f"{a.get('given-names', '')} {a.get('family-names', '')}".strip()
                        for a in cff.get("authors", [])) or "The linkbook contributors"
    return {
        "cite_title": str(cff.get("title", "")), "cite_authors": authors, "cite_version": str(cff.get("version", "")),
        "cite_commit": _commit(root), "cite_date": build_date(), "cite_code_licence": str(cff.get("license", "")),
        "cite_content_licence": CONTENT_LICENCE,
    }
