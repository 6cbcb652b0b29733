"""Kernels forked from a pool worker: a real kernel, with the fork server's imports, that
leaves no process behind, and a preload list that covers what the notebooks import."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

from support import ROOT
from support.pipeline import gone_within

# A stand-in for a pool worker: it imports what the fork server imports, marks its kernels as
# forks of it, starts one on its main thread, and reports on it.
WORKER = textwrap.dedent("""\
    import json, os, sys, tempfile
    import helpers.pipeline.preload
    from nbclient.util import run_sync
    from helpers.pipeline import kernels
    kernels.fork_kernels()
    with open(os.devnull, "ab") as log:
        warm = kernels.warm_kernel(tempfile.gettempdir(), "test-session", log)
    CODE = ("import os, sys, json; print(json.dumps({'pid': os.getpid(), 'ppid': os.getppid(), "
            "'pgid': os.getpgid(0), 'pandas_loaded': 'pandas' in sys.modules, 'cwd': os.getcwd(), "
            "'backend': __import__('matplotlib').get_backend()}))")
    reply = run_sync(warm.kc.execute_interactive)(CODE, output_hook=lambda msg: print(
        msg["content"]["text"], end="", flush=True) if msg["msg_type"] == "stream" else None, timeout=60)
    print(json.dumps({"status": reply["content"]["status"], "kernel_pid": warm.km.provisioner.pid,
                      "alive": run_sync(warm.km.is_alive)()}), flush=True)
    if sys.argv[1] == "shutdown":
        kernels.shutdown(warm)
        print(json.dumps({"after_shutdown": warm.km.provisioner.process is None
                          or warm.km.provisioner.process.poll() is not None}), flush=True)
    else:
        sys.stdin.readline()  # wait to be killed
""")


def start_worker(mode: str) -> tuple[subprocess.Popen, dict, dict]:
    worker = subprocess.Popen([sys.executable, "-c", WORKER, mode], cwd=ROOT, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    inside = json.loads(worker.stdout.readline())
    outside = json.loads(worker.stdout.readline())
    return worker, inside, outside


def test_a_forked_kernel_runs_code_with_the_servers_imports_and_its_own_process_group():
    worker, inside, outside = start_worker("shutdown")
    try:
        assert outside == {"status": "ok", "kernel_pid": inside["pid"], "alive": True}
        assert inside["ppid"] == worker.pid  # a fork of the worker, not a new interpreter
        assert inside["pandas_loaded"]  # imported before the notebook asked for it
        assert inside["pgid"] == inside["pid"]  # signals to its group reach the kernel only
        assert inside["backend"] == "module://matplotlib_inline.backend_inline"
        assert json.loads(worker.stdout.readline()) == {"after_shutdown": True}
        assert gone_within({inside["pid"]}, 10)
    finally:
        worker.kill()
        worker.communicate()


def test_a_forked_kernel_exits_when_its_worker_is_killed():
    worker, inside, _ = start_worker("wait")
    try:
        os.kill(worker.pid, signal.SIGKILL)
        worker.communicate()
        assert gone_within({inside["pid"]}, 20)
    finally:
        if not gone_within({inside["pid"]}, 0):
            os.kill(inside["pid"], signal.SIGKILL)


def test_the_fork_server_preloads_every_library_the_notebooks_import():
    """After the preload, the notebook templates' imports load no third-party package: none is
    left for each kernel to import again."""
    code = textwrap.dedent("""\
        import sys
        from pathlib import Path
        from helpers.pipeline.kernels import template_imports
        imports = template_imports(sorted(Path("notebooks").glob("*.md")))
        import helpers.pipeline.preload
        def packages():
            return {name.split(".")[0] for name in sys.modules} - set(sys.stdlib_module_names)
        before = packages()
        exec(imports)
        import pingouin  # imported where it is used, in the outcome tests
        print(sorted(packages() - before - {"helpers"} - {n for n in packages() if n.startswith("_")}))
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# What a notebook's outcome can depend on, in a kernel that has run the templates' imports.
STATE = textwrap.dedent("""\
    import json, os, sys, warnings
    import numpy as np, pandas as pd, matplotlib as mpl
    print(json.dumps({
        "pandas": {k: repr(pd.get_option(k)) for k in pd._config.config._registered_options},
        "rc": {k: repr(v) for k, v in mpl.rcParams.items()}, "numpy": repr(np.get_printoptions()),
        "filters": sorted([f[0], repr(f[1]), f[2].__module__, f[2].__name__, f[3], f[4]] for f in warnings.filters),
        "packages": sorted({m.split(".")[0] for m in sys.modules}), "env": sorted(os.environ), "path": sys.path}))
""")
PROBE = textwrap.dedent("""\
    import json, os, sys, tempfile
    from pathlib import Path
    import helpers.pipeline.preload
    from nbclient.util import run_sync
    from jupyter_client.manager import AsyncKernelManager
    from helpers.pipeline import kernels
    from helpers.pipeline.forked_kernel import ForkedKernelManager
    code = kernels.template_imports(sorted(Path("notebooks").glob("*.md"))) + "\\n" + sys.argv[1]
    def state(manager):
        km = manager(kernel_name="python3", transport="ipc", ip=tempfile.mkdtemp() + "/kernel")
        with open(os.devnull, "ab") as log:
            run_sync(km.start_kernel)(cwd=os.getcwd(), stdout=log, stderr=log)
        kc = run_sync(kernels._connect)(km)
        out = []
        run_sync(kc.execute_interactive)(code, timeout=120, output_hook=lambda msg: out.append(
            msg["content"]["text"]) if msg["msg_type"] == "stream" and msg["content"]["name"] == "stdout" else None)
        kc.stop_channels()
        run_sync(km.shutdown_kernel)(now=True)
        return json.loads("".join(out))
    print(json.dumps([state(AsyncKernelManager), state(ForkedKernelManager)]))
""")


def test_a_forked_kernel_starts_as_a_new_kernel_does():
    """pandas options, matplotlib settings, numpy printing, the environment, sys.path and the warning
    filters, after the templates' imports: the same in a forked kernel as in a new one. The fork server
    also imported the workers' libraries (papermill, jupytext and their own imports); their warning filters
    are the only difference allowed, for warnings of packages no notebook imports."""
    done = subprocess.run([sys.executable, "-c", PROBE, STATE], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, check=True)
    new, forked = json.loads(done.stdout.strip().splitlines()[-1])
    for key in ("pandas", "rc", "numpy", "env", "path"):
        assert forked[key] == new[key], key
    missing = [f for f in new["filters"] if f not in forked["filters"]]
    extra = [f for f in forked["filters"] if f not in new["filters"]]
    assert missing == []
    assert all(f[2].split(".")[0] not in new["packages"] for f in extra)
