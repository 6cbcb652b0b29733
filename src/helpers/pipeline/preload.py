"""What the pool's fork server imports once, for every worker and kernel of a run.

Importing pandas, SciPy, statsmodels, matplotlib, seaborn, networkx, pingouin and the
Jupyter machinery costs a new process 4 to 6 s of CPU. The pool's workers are forked
from one server process that has imported them (`helpers.pipeline.execute`), and each
worker's kernel is forked from its worker (`helpers.pipeline.forked_kernel`), so a run pays
that import once instead of once per worker and once per kernel.

Only third-party modules: a notebook imports the helpers package itself, as it is when
its kernel starts. A module that fails to import here is left for the kernel to import
(and report) as it would without the server.
"""

from __future__ import annotations

import builtins
import gc
import importlib
import io
import os
import sys
import types
import warnings

# The kernels' inline backend, chosen before matplotlib is imported (it reads MPLBACKEND then),
# as ipykernel chooses it in a kernel of its own.
os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")

MODULES = (
    # what the notebook templates and the helpers they import use
    "numpy", "pandas", "scipy.stats", "statsmodels.formula.api",
    "statsmodels.genmod.generalized_estimating_equations", "statsmodels.discrete.discrete_model",
    "statsmodels.stats.meta_analysis", "statsmodels.stats.multitest", "pingouin",
    "matplotlib.pyplot", "matplotlib_inline.backend_inline", "seaborn", "networkx", "yaml",
    "IPython.display", "myst_nb",
    # a kernel's own start-up
    "ipykernel.kernelapp", "ipykernel.ipkernel",
    # a worker's: running a notebook with papermill and finishing it
    "papermill", "papermill.clientwrap", "nbclient", "nbformat", "jupytext", "jupyter_client.manager",
)


def preload() -> None:
    """Import MODULES. Warnings raised while importing are not shown (each kernel shows its own);
    the warning filters modules add when imported are kept."""
    warnings.simplefilter("ignore")
    hushed = warnings.filters[0]
    for name in MODULES:
        try:
            _import_as_in_a_kernel(name)
        except Exception:  # noqa: BLE001 - the kernel imports it again and reports the error
            pass
    warnings.filters.remove(hushed)
    warnings._filters_mutated()


def _import_as_in_a_kernel(name: str) -> None:
    """Import `name`; pandas as it is imported inside a Jupyter kernel. pandas fixes two display
    defaults when imported: `max_columns` (20 in a kernel, the terminal's width elsewhere) and
    `encoding` (sys.stdout's: UTF-8 in a kernel), and a forked kernel must start as a new one does."""
    if name != "pandas":
        importlib.import_module(name)
        return
    stdout = sys.stdout
    builtins.get_ipython = lambda: types.SimpleNamespace(kernel=None)
    sys.stdout = io.TextIOWrapper(io.BytesIO(), encoding="UTF-8")
    try:
        importlib.import_module(name)
    finally:
        sys.stdout = stdout
        del builtins.get_ipython


preload()
# What was imported lives as long as the processes forked from here: out of the garbage collector's
# sight, a collection in a worker or kernel neither walks it nor copies its pages (Python's gc docs).
gc.freeze()
