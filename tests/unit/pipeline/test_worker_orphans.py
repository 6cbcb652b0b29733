"""A pool worker that starts after its parent was killed exits instead of adopting PID 1."""

from __future__ import annotations

import subprocess
import sys

WORKER = ("import sys, time\nfrom helpers.pipeline.execute import _start_worker\n"
          "_start_worker(int(sys.argv[1]))\nprint('started', flush=True)\ntime.sleep(30)\n")


def test_a_worker_whose_parent_is_already_gone_exits_at_once():
    # the parent passed is not this process's parent: as if the pool's owner died before the worker began
    done = subprocess.run([sys.executable, "-c", WORKER, "-1"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "started" not in done.stdout


def test_a_worker_with_its_parent_alive_keeps_running():
    import os

    worker = subprocess.Popen([sys.executable, "-c", WORKER, str(os.getpid())], stdout=subprocess.PIPE, text=True)
    try:
        assert worker.stdout.readline().strip() == "started"
        assert worker.poll() is None
    finally:
        worker.kill()
        worker.wait()
        worker.stdout.close()
