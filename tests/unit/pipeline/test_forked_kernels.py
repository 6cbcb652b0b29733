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
