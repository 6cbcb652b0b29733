"""Warm kernels: each worker process reuses one Jupyter kernel for the notebooks it runs.

Starting a kernel and importing pandas, scipy, statsmodels, pingouin, seaborn and
networkx costs about 3 s per notebook, more than most notebooks' analysis. A
worker therefore keeps its kernel between notebooks and, before each new one,
clears it: the user namespace (`%reset -f`), open figures, matplotlib and pandas
options and warning filters. Imported modules stay loaded, which is the saving.
A kernel that died or could not be cleared is replaced by a fresh one.
`linkbook run --fresh-kernels` starts a new kernel for every notebook instead;
tests check that both ways give byte-identical results.
"""

from __future__ import annotations

import atexit
import logging
import shutil
import tempfile
import threading
from pathlib import Path

from jupyter_client import BlockingKernelClient
from jupyter_client.manager import AsyncKernelManager
from nbclient.util import run_sync
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines

ENGINE = "linkbook-warm"
RESET = """\
%reset -f
import warnings as _w
with _w.catch_warnings():
    _w.simplefilter("ignore")
    import matplotlib as _mpl, matplotlib.pyplot as _plt, pandas as _pd
    _plt.close("all"); _mpl.rcdefaults(); _pd.reset_option("all")
_w.resetwarnings()
del _w, _mpl, _plt, _pd
"""
_kernels: dict[tuple, AsyncKernelManager] = {}


def warm_kernel(cwd: str, run: str, log_file) -> AsyncKernelManager:
    """This thread's kernel for this run, cleared and ready for the next notebook.

    Kernels never outlive their run (a Dask worker lives longer than a run, and
    the helpers package may have changed in between).
    """
    key = (cwd, run, threading.get_ident())
    for other in [k for k in _kernels if k[2] == key[2] and k != key]:
        shutdown(_kernels.pop(other))
    km = _kernels.get(key)
    if km is not None and run_sync(km.is_alive)() and _clear(km):
        return km
    if km is not None:
        shutdown(km)
    # IPC sockets in a private directory: no TCP port can be taken by a kernel
    # starting at the same moment in another worker.
    km = AsyncKernelManager(kernel_name="python3", transport="ipc",
                            ip=str(Path(tempfile.mkdtemp(prefix="linkbook-kernel-")) / "kernel"))
    run_sync(km.start_kernel)(cwd=cwd, stdout=log_file, stderr=log_file)
    _kernels[key] = km
    return km


def _clear(km: AsyncKernelManager) -> bool:
    client = BlockingKernelClient()
    client.load_connection_info(km.get_connection_info())
    client.start_channels()
    try:
        client.wait_for_ready(timeout=30)
        reply = client.execute_interactive(RESET, timeout=30, output_hook=lambda msg: None)
        return reply["content"]["status"] == "ok"
    except (RuntimeError, TimeoutError):
        return False
    finally:
        client.stop_channels()


def shutdown(km: AsyncKernelManager) -> None:
    try:
        run_sync(km.shutdown_kernel)(now=True)
    except Exception:  # already gone: nothing left to stop
        logging.getLogger(__name__).debug("kernel already stopped")
    shutil.rmtree(Path(km.ip).parent, ignore_errors=True)


def forget(cwd: str, run: str) -> None:
    """Drop this thread's kernel for the run (after it died), so the next call starts a new one."""
    km = _kernels.pop((cwd, run, threading.get_ident()), None)
    if km is not None:
        shutdown(km)


@atexit.register
def _shutdown_all() -> None:
    for km in _kernels.values():
        shutdown(km)
    _kernels.clear()


class WarmKernelEngine(NBClientEngine):
    """papermill's nbclient engine, running on a kernel it is given and leaving it alive."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None, stderr_file=None,
                                 start_timeout=60, execution_timeout=None, **kwargs):
        client = PapermillNotebookClient(
            nb_man, km=kwargs["km"], timeout=execution_timeout, startup_timeout=start_timeout,
            kernel_name=kernel_name, log=logging.getLogger("papermill"), log_output=log_output,
            stdout_file=stdout_file, stderr_file=stderr_file)
        try:
            return client.execute()
        finally:
            if client.kc is not None:
                client.kc.stop_channels()


papermill_engines.register(ENGINE, WarmKernelEngine)
