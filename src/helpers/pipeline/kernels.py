"""Warm kernels: each worker process reuses one Jupyter kernel for the notebooks it runs.

Starting a kernel and importing pandas, scipy, statsmodels, pingouin, seaborn and
networkx costs about 3 s per notebook, more than most notebooks' analysis. A
worker therefore keeps its kernel, and one connected client, between notebooks
and, before each new one, clears it: the user namespace (`%reset -f`), open
figures, matplotlib and pandas options and warning filters. Imported modules stay
loaded, which is the saving. What survives the reset (modules and their caches)
is then frozen out of the garbage collector, so that the collections of the
next reset and notebook do not walk it again (0.3 s a notebook otherwise).
Keeping the client also saves its handshake (at least 0.2 s of polling each time
a client connects). A kernel that died or could not be cleared is replaced by a
fresh one. `linkbook run --fresh-kernels` starts a new kernel for every notebook
instead; tests check that both ways give byte-identical results.

In a pool worker, itself forked from a server that has imported the analysis
libraries (`helpers.pipeline.preload`), the kernel is a fork of the worker rather
than a new interpreter (`ForkedKernelManager`): it starts with them imported, so a
run pays their import once, not once per kernel. On a Dask worker, which runs
tasks in threads beside its event loop, kernels are started as new processes.
"""

from __future__ import annotations

import atexit
import logging
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from nbclient.util import run_sync
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines

from helpers.pipeline.forked_kernel import ForkedKernelManager

ENGINE = "linkbook-warm"
RESET = """\
%reset -f
import warnings as _w
with _w.catch_warnings():
    _w.simplefilter("ignore")
    import matplotlib as _mpl, matplotlib.pyplot as _plt, pandas as _pd
    _plt.close("all"); _mpl.rcdefaults(); _pd.reset_option("all")
_w.resetwarnings()
import gc as _gc
_gc.freeze()
del _w, _mpl, _plt, _pd, _gc
"""
START_TIMEOUT = 60
RESET_TIMEOUT = 30


@dataclass
class WarmKernel:
    km: AsyncKernelManager
    kc: AsyncKernelClient


_kernels: dict[tuple, WarmKernel] = {}
_fork = {"kernels": False}


def fork_kernels() -> None:
    """Start this process's kernels as forks of it (a pool worker, on its main thread, calls this)."""
    _fork["kernels"] = True


def warm_kernel(cwd: str, session: str, log_file) -> WarmKernel:
    """This thread's kernel for this session, cleared and ready for the next notebook.

    A session is one run, or one `linkbook watch` pool, which is replaced when the
    helpers source changes. Kernels never outlive their session: a Dask worker
    lives longer than a run, and the helpers package may have changed in between.
    """
    key = (cwd, session, threading.get_ident())
    for other in [k for k in _kernels if k[2] == key[2] and k != key]:
        shutdown(_kernels.pop(other))
    warm = _kernels.pop(key, None)
    if warm is not None and run_sync(warm.km.is_alive)() and run_sync(_clear)(warm.kc):
        _kernels[key] = warm
        return warm
    if warm is not None:
        shutdown(warm)
    # IPC sockets in a private directory: no TCP port can be taken by a kernel
    # starting at the same moment in another worker.
    manager = ForkedKernelManager if _fork["kernels"] and threading.current_thread() is threading.main_thread() \
        else AsyncKernelManager
    km = manager(kernel_name="python3", transport="ipc",
                 ip=str(Path(tempfile.mkdtemp(prefix="linkbook-kernel-")) / "kernel"))
    run_sync(km.start_kernel)(cwd=cwd, stdout=log_file, stderr=log_file)
    warm = WarmKernel(km, run_sync(_connect)(km))
    _kernels[key] = warm
    return warm


async def _connect(km: AsyncKernelManager) -> AsyncKernelClient:
    kc = km.client()
    kc.start_channels()
    await kc.wait_for_ready(timeout=START_TIMEOUT)
    kc.allow_stdin = False
    return kc


async def _clear(kc: AsyncKernelClient) -> bool:
    """Run RESET; False if the kernel failed it or did not answer in time."""
    return await _run(kc, RESET, RESET_TIMEOUT)


async def _run(kc: AsyncKernelClient, code: str, timeout: float) -> bool:
    """Run `code` silently; False if it failed or the kernel did not answer in time."""
    msg_id = kc.execute(code, silent=True, store_history=False)
    try:
        while True:
            reply = await kc.get_shell_msg(timeout=timeout)
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply["content"]["status"] == "ok"
    except Exception:  # queue.Empty on timeout, or a closed socket: replace the kernel
        return False


def warm_up(cwd: str, session: str, code: str, log: str) -> None:
    """Start this thread's kernel for the session and run `code` (imports) in it,
    so that the first notebook finds them loaded."""
    with open(log, "ab") as log_file:
        warm = warm_kernel(cwd, session, log_file)
    run_sync(_run)(warm.kc, code, START_TIMEOUT)


def template_imports(templates) -> str:
    """The module-level import statements of the notebook templates' code cells, one per line."""
    import ast

    from helpers.pipeline.templates import read_template

    lines = []
    for template in templates:
        try:
            cells = read_template(template).cells
        except Exception:  # noqa: BLE001 - a template being edited: the run will report it
            continue
        for cell in cells:
            if cell.cell_type != "code":
                continue
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:  # IPython magics: not plain Python, and not needed here
                continue
            lines += [ast.unparse(node) for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    return "\n".join(dict.fromkeys(lines))


def shutdown(warm: WarmKernel) -> None:
    try:
        warm.kc.stop_channels()
        run_sync(warm.km.shutdown_kernel)(now=True)
    except Exception:  # already gone: nothing left to stop
        logging.getLogger(__name__).debug("kernel already stopped")
    shutil.rmtree(Path(warm.km.ip).parent, ignore_errors=True)


def forget(cwd: str, session: str) -> None:
    """Drop this thread's kernel for the session (after it died), so the next call starts a new one."""
    warm = _kernels.pop((cwd, session, threading.get_ident()), None)
    if warm is not None:
        shutdown(warm)


@atexit.register
def _shutdown_all() -> None:
    for warm in _kernels.values():
        shutdown(warm)
    _kernels.clear()


class WarmKernelEngine(NBClientEngine):
    """papermill's nbclient engine, running on a warm kernel and client and leaving both alive."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None, stderr_file=None,
                                 start_timeout=60, execution_timeout=None, **kwargs):
        warm = kwargs["warm"]
        client = PapermillNotebookClient(
            nb_man, km=warm.km, timeout=execution_timeout, startup_timeout=start_timeout,
            kernel_name=kernel_name, log=logging.getLogger("papermill"), log_output=log_output,
            stdout_file=stdout_file, stderr_file=stderr_file)
        client.kc = warm.kc  # connected and ready: nbclient skips its own client start-up
        return client.execute()


papermill_engines.register(ENGINE, WarmKernelEngine)
