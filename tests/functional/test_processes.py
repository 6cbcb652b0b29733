"""Killing linkbook while its pool is still starting leaves no process behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from helpers.core.processes import descendants
from support.pipeline import gone_within

OWNER = ("import time\nfrom helpers.pipeline.execute import _executor\n"
         "pool = _executor(2)\nfor _ in range(4):\n    pool.submit(time.sleep, 5)\n"
         "print('submitted', flush=True)\ntime.sleep(60)\n")


def test_workers_starting_while_their_owner_is_killed_all_exit():
    with subprocess.Popen([sys.executable, "-c", OWNER], stdout=subprocess.PIPE, text=True) as owner:
        assert owner.stdout.readline().strip() == "submitted"
        workers = descendants(owner.pid)  # the fork server, still importing, and any workers it forked
        os.kill(owner.pid, signal.SIGKILL)
    assert workers and gone_within(workers, 30)
