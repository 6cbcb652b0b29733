"""What `linkbook run`, `build` and `watch` are asked to do: one options object for all three."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATA = "data/synthetic"
DEFAULT_RESULTS = "results"


@dataclass(frozen=True)
class BuildOptions:
    """Options of a run or a build. `data` is the dataset as the notebooks see it: relative
    to the project root when it is inside the project (see `dataset_path`)."""

    data: str = DEFAULT_DATA
    results: str = DEFAULT_RESULTS
    sites: tuple[str, ...] | None = None  # only these sites' jobs (None: every site)
    jobs: int | None = None  # parallel notebooks and Sphinx processes (None: CPU count)
    scheduler: str | None = None  # a Dask distributed scheduler's address
    force: bool = False  # run every notebook, even unchanged ones
    fresh_kernels: bool = False  # a new kernel for every notebook
    keep_going: bool = False  # build the book even if notebooks fail
    deny_list: Path | None = None  # names the privacy guard refuses


def dataset_path(path: str | Path | None, root: Path) -> str:
    """A dataset path as notebooks see it: relative to the project root when inside it."""
    if path is None:
        return DEFAULT_DATA
    absolute = Path(path).resolve()
    try:
        return str(absolute.relative_to(root))
    except ValueError:
        return str(absolute)
