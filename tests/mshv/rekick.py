"""Re-kicking a QEMU's MSHV vCPU threads from outside.

Upstream QEMU's mshv accelerator loses a vCPU kick that lands while the
vCPU thread handles an exit, and then waits for ever for a vCPU to stop
(docs/devel/mshv/upstream.rst, U1).  Our accelerator re-kicks from a
thread of its own; for upstream, a test or benchmark does it from
outside, so that U1 does not decide what it measures.  Used by the test
library (mshvtest.py) and the benchmarks (tests/bench).

SPDX-License-Identifier: GPL-2.0-or-later
"""

import ctypes
import signal
import threading
from pathlib import Path

# tgkill(2), and QEMU's vCPU kick signal (SIGUSR1 on Linux).
SYS_TGKILL = 234
SIG_IPI = signal.SIGUSR1


def kick_vcpu_threads(pid, libc=None):
    """SIG_IPI to each MSHV vCPU thread of process PID."""
    libc = libc or ctypes.CDLL(None, use_errno=True)
    for task in Path(f'/proc/{pid}/task').glob('*'):
        try:
            comm = (task / 'comm').read_text()
        except OSError:
            continue
        if comm.startswith('CPU ') and '/MSHV' in comm:
            libc.syscall(SYS_TGKILL, pid, int(task.name), SIG_IPI)


class Rekicked:
    """A context in which the vCPU threads of the process whose pid
    GET_PID() returns get SIG_IPI every PERIOD seconds, as our
    accelerator's re-kick thread does."""

    def __init__(self, get_pid, period=0.1):
        self._get_pid = get_pid
        self._period = period
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        libc = ctypes.CDLL(None, use_errno=True)
        pid = self._get_pid()
        while pid and not self._stop.wait(self._period):
            kick_vcpu_threads(pid, libc)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
