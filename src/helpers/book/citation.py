"""What the book's "How to cite this book" section says: read from CITATION.cff and the
checkout when the book is built, never typed.

The build date is today's date (UTC), or the date of SOURCE_DATE_EPOCH when it is set,
for reproducible builds; the commit is the checkout's, marked when files differ from it.

The section is a generated page that the front page includes (`citation_markdown`), not
Sphinx settings: a changed setting makes Sphinx read every page of the book again, so a
new build date, a commit, or the first uncommitted change would re-read all of them; a
changed included page re-reads only the page that includes it.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

import yaml

from helpers.report.escape import markdown_text

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


def citation_fields(root: Path) -> dict[str, str]:
    """The citation's title, authors, version, commit, date and licences."""
    cff = yaml.safe_load((root / "CITATION.cff").read_text(encoding="utf-8")) if (root / "CITATION.cff").is_file() \
        else {}
    authors = ", ".join(a.get("name") or f"{a.get('given-names', '')} {a.get('family-names', '')}".strip()
                        for a in cff.get("authors", [])) or "The linkbook contributors"
    return {
        "title": str(cff.get("title", "")), "authors": authors, "version": str(cff.get("version", "")),
        "commit": _commit(root), "date": build_date(), "code_licence": str(cff.get("license", "")),
        "content_licence": CONTENT_LICENCE,
    }


def citation_markdown(root: Path) -> str:
    """The citation and licence paragraphs, every value escaped as literal text."""
    f = {name: markdown_text(value) for name, value in citation_fields(root).items()}
    return (f"{f['authors']}. *{f['title']}*, version {f['version']}, commit {f['commit']}, built {f['date']}. "
            "The file `CITATION.cff` in the repository holds the same citation for reference managers. "
            "When you report numbers from a build, give its version and commit, and say which dataset it was "
            "built from (above).\n\n"
            f"The book's text and figures are shared under the {f['content_licence']} licence; "
            f"its code under the {f['code_licence']} licence.\n")
