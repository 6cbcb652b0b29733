"""Notebook templates: MyST Markdown notebooks (jupytext's `myst` format) read as notebook objects.

Templates are kept as text so that a reviewer reads an analysis change as a text
diff; papermill executes the notebook object read from them, and the executed
`.ipynb` files under book/generated/ are the build product.
"""

from __future__ import annotations

from pathlib import Path

SUFFIX = ".md"


def read_template(path: Path):
    """The template at `path` as an nbformat notebook (its format from its suffix: `.md` is MyST)."""
    import jupytext

    return jupytext.read(Path(path))


def template_paths(notebooks_dir: Path) -> list[Path]:
    """Every template of a notebooks folder, in name order."""
    return sorted(Path(notebooks_dir).glob(f"*{SUFFIX}"))
