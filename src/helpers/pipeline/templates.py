"""Notebook templates: MyST Markdown notebooks (jupytext's `myst` format) read as notebook objects.

Templates are kept as text so that a reviewer reads an analysis change as a text
diff; papermill executes the notebook object read from them, and the executed
`.ipynb` files under book/generated/ are the build product.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

SUFFIX = ".md"


def read_template(path: Path):
    """The template at `path` as an nbformat notebook (its format from its suffix: `.md` is MyST).

    A worker runs the site template once per site: the parsed notebook is kept, keyed by the
    file's bytes, and each caller gets its own copy (papermill writes into it).
    """
    import copy

    text = Path(path).read_bytes()
    return copy.deepcopy(_parsed(str(path), hashlib.sha256(text).hexdigest(), text))


@functools.lru_cache(maxsize=16)
def _parsed(path: str, digest: str, text: bytes):
    import jupytext

    return jupytext.reads(text.decode("utf-8"), fmt=Path(path).suffix)  # the format name from the header


def template_paths(notebooks_dir: Path) -> list[Path]:
    """Every template of a notebooks folder, in name order."""
    return sorted(Path(notebooks_dir).glob(f"*{SUFFIX}"))
