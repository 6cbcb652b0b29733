"""A Jupyter kernel started as a fork of the calling process instead of a new interpreter.

A pool worker is forked from a server that has imported the analysis libraries
(`helpers.pipeline.preload`); a kernel forked from the worker starts with them
imported. The child does what `python -m ipykernel_launcher -f FILE` would do, with
the arguments, environment, working directory and output files jupyter_client
prepared, in a process group of its own; it drops what it must not share with the
worker (event loops, the fork server's descriptors) and exits when the worker does.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import signal
import sys
import traceback

from jupyter_client.manager import AsyncKernelManager


def name_process(name: str) -> None:
    """Set this process's name as `ps -o comm` and /proc/PID/comm show it (Linux; elsewhere nothing)."""
    try:
        ctypes.CDLL(None).prctl(15, name.encode()[:15], 0, 0, 0)  # PR_SET_NAME
    except (OSError, AttributeError):
        pass


class ForkedProcess:
    """The `subprocess.Popen` calls jupyter_client makes on a kernel process, for a forked child."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid, self.returncode = pid, None

    def _reap(self, flags: int) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, flags)
            except ChildProcessError:  # collected already
                self.returncode = -1
            else:
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def poll(self) -> int | None:
        return self._reap(os.WNOHANG)

    def wait(self) -> int:
        return self._reap(0)

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


def _forget_event_loops() -> None:
    """In a forked child: drop the event loop the fork was made from (still marked running,
    and sharing its selector with the parent's) and the ones cached for this thread, so
    that the kernel makes its own."""
    from jupyter_core import utils

    asyncio._set_running_loop(None)
    asyncio.set_event_loop_policy(None)
    utils._loop.set(None)


def _close_pool_descriptors() -> None:
    """In a forked child: close the fork server's and the resource tracker's descriptors the
    worker was given, so that neither waits for the kernel to exit, and a notebook that uses
    multiprocessing starts its own, as in a kernel of its own."""
    from multiprocessing import forkserver, resource_tracker

    for holder, attribute in ((forkserver._forkserver, "_forkserver_alive_fd"),
                              (resource_tracker._resource_tracker, "_fd")):
        descriptor = getattr(holder, attribute, None)
        if descriptor is not None:
            try:
                os.close(descriptor)
            except OSError:
                pass
            setattr(holder, attribute, None)


class ForkedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel is a fork of this process, running ipykernel as
    `python -m ipykernel_launcher` would: same arguments, environment, working directory
    and output files, in a process group of its own. A kernel spec that names another
    interpreter (or no connection file argument) is launched as jupyter_client launches it."""

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
        if "-f" not in kernel_cmd or os.path.realpath(kernel_cmd[0]) != os.path.realpath(sys.executable):
            return await super()._async_launch_kernel(kernel_cmd, **kw)
        argv = kernel_cmd[kernel_cmd.index("-f"):]
        pid = os.fork()
        if pid == 0:
            _become_kernel(argv, kw)
        try:
            os.setpgid(pid, pid)  # as the child does: the group exists whichever runs first
        except OSError:  # the child did it, or is gone
            pass
        provisioner = self.provisioner
        provisioner.process = ForkedProcess(pid)
        provisioner.pid = provisioner.pgid = pid
        provisioner.cwd = kw.get("cwd")
        self._reconcile_connection_info(provisioner.connection_info)


def _become_kernel(argv: list[str], kw: dict) -> None:
    """In the forked child: run an IPython kernel with `argv` (-f CONNECTION_FILE ...); never returns."""
    code = 1
    try:
        os.setpgid(0, 0)
        name_process("linkbook-kernel")
        for descriptor, stream in ((1, kw.get("stdout")), (2, kw.get("stderr"))):
            if stream is not None:
                os.dup2(stream.fileno(), descriptor)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.chdir(kw.get("cwd") or os.getcwd())
        os.environ.clear()
        os.environ.update(kw.get("env") or {})  # as jupyter_client prepared it
        os.environ["JPY_PARENT_PID"] = str(os.getppid())  # as its launcher adds it
        sys.argv = ["ipykernel_launcher", *argv]
        del sys.path[0]  # the worker's script folder: ipykernel_launcher drops its own; ipykernel adds the working directory
        _forget_event_loops()
        _close_pool_descriptors()

        from ipykernel.kernelapp import IPKernelApp

        # Exit when the worker does: ipykernel read JPY_PARENT_PID when the fork server imported it.
        IPKernelApp.launch_instance(argv=[*argv, f"--IPKernelApp.parent_handle={os.getppid()}"])
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:  # noqa: BLE001 - anything ends this child only, with its traceback in the log
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
