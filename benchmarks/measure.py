"""CPU time and peak memory of a command and everything it starts.

CPU time (user + sys) is what the comparisons use: on a shared machine the wall
time of the same build moves with the other users' load, its CPU time much less.
It is read with getrusage(RUSAGE_CHILDREN), which counts a process once it and its
own children have been waited for. This process is made a child subreaper, so a
process whose parent exits first (a kernel outliving its worker) is handed to it
and reaped here, and counted, rather than lost to init.

Peak memory is sampled from /proc every `interval` seconds: the peak resident set
(VmHWM) of every descendant, grouped by kind (the linkbook process itself, pool
workers, kernels, Sphinx); a process living less than one interval may be missed. The
same samples give each kind's CPU seconds (`cpu_s_sampled`, from /proc/PID/stat: what a
process had used at its last sample, so up to one interval short for each process).
"""

from __future__ import annotations

import ctypes
import os
import resource
import subprocess
import threading
import time
from pathlib import Path

from helpers.core.processes import descendants

PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: orphans' CPU time is then not counted
        pass


def _reap_orphans(timeout: float = 0.0) -> None:
    """Collect exited orphans; wait up to `timeout` seconds for those still running."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:  # no children left
            return
        if pid == 0:
            if time.monotonic() > deadline:
                return
            time.sleep(0.1)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _kind(pid: int, root: int) -> str:
    if pid == root:
        return "parent"
    try:
        name = Path(f"/proc/{pid}/comm").read_text().strip()  # a forked kernel or worker names itself
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "other"
    if name in ("linkbook-kernel", "linkbook-worker"):
        return name.removeprefix("linkbook-")
    if "ipykernel" in command:
        return "kernel"
    if "multiprocessing" in command or "spawn_main" in command:
        return "worker"
    if "sphinx" in command:
        return "sphinx"
    return "other"


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_s(pid: int) -> float | None:
    """User + system seconds of one process so far, from /proc/PID/stat."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICK


def _peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class _MemorySampler(threading.Thread):
    def __init__(self, root: int, interval: float):
        super().__init__(daemon=True)
        self.root, self.interval, self.peaks, self.kinds, self.cpu = root, interval, {}, {}, {}
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            for pid in {self.root} | descendants(self.root):
                peak, cpu = _peak_rss_mb(pid), _cpu_s(pid)
                if cpu is not None:
                    self.cpu[pid] = cpu
                if peak is not None:
                    self.peaks[pid] = max(self.peaks.get(pid, 0.0), peak)
                    self.kinds.setdefault(pid, _kind(pid, self.root))
            self.stopped.wait(self.interval)

    def summary(self) -> dict:
        by_kind: dict[str, list[float]] = {}
        for pid, peak in self.peaks.items():
            by_kind.setdefault(self.kinds[pid], []).append(peak)
        cpu: dict[str, float] = {}
        for pid, seconds in self.cpu.items():
            cpu[self.kinds.get(pid, "other")] = cpu.get(self.kinds.get(pid, "other"), 0.0) + seconds
        return {kind: {"processes": len(peaks), "max_mb": round(max(peaks), 1),
                       "cpu_s_sampled": round(cpu.get(kind, 0.0), 1)} for kind, peaks in sorted(by_kind.items())}


def measure(command: list[str], cwd: Path, env: dict | None = None, memory: bool = False,
            interval: float = 0.5) -> dict:
    """Run `command`; its wall and CPU seconds (descendants included) and, if asked, peak memory by kind."""
    _reap_orphans()
    cpu_before, start = _children_cpu(), time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    sampler = _MemorySampler(process.pid, interval) if memory else None
    if sampler:
        sampler.start()
    output, _ = process.communicate()
    wall = time.perf_counter() - start
    if sampler:
        sampler.stopped.set()
        sampler.join()
    _reap_orphans(timeout=15)  # orphaned kernels exit within a second or two of their worker
    result = {"wall_s": round(wall, 2), "cpu_s": round(_children_cpu() - cpu_before, 2), "output": output}
    if sampler:
        result["peak_rss"] = sampler.summary()
    if process.returncode != 0:
        raise StepFailed(f"{' '.join(command)} failed (exit {process.returncode}):\n{output[-4000:]}", result)
    return result


class StepFailed(RuntimeError):
    """A measured command that exited non-zero; `measured` holds what was measured all the same."""

    def __init__(self, message: str, measured: dict):
        super().__init__(message)
        self.measured = measured
