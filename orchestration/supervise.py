"""Run a long-lived Dagster process (the UI, the daemon) as a child that stops when we do.

The child gets a session of its own, so it and everything it starts (code servers, run
workers) form one process group. SIGTERM or Ctrl-C to `sales-wh` is passed to the child, then,
once it has stopped (or after a few seconds), to the rest of its group; whatever is still
alive after a grace period is killed, and the group is checked empty before we return:
nothing is left behind holding the warehouse or a port.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

GRACE_SECONDS = 10.0
# How long the Dagster process alone gets to stop before the rest of its group is signalled.
CHILD_FIRST_SECONDS = 3.0


def _signal_group(pgid: int, signum: int) -> bool:
    """Send to the group; False when it has no process left."""
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        return False
    return True


def supervise(command: list[str], cwd: Path, grace_seconds: float = GRACE_SECONDS,
              on_stopped: Callable[[], None] | None = None) -> int:
    """Run `command` until it ends or we are told to stop; the child's exit code, or 0 after
    a requested stop."""
    child = subprocess.Popen(command, cwd=cwd, start_new_session=True)
    stop_requested: list[float] = []

    def request_stop(signum, frame) -> None:
        if not stop_requested:
            stop_requested.append(time.monotonic())
            # The Dagster process first: it shuts its code server down over gRPC. Signalled
            # at the same moment, the code server could die inside a lock of its own and
            # print a traceback ("release unlocked lock"). The rest of the group is signalled
            # once the child is gone (below).
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signal.SIGTERM)

    previous = {s: signal.signal(s, request_stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        group_signalled = False
        while child.poll() is None:
            time.sleep(0.2)
            waited = time.monotonic() - stop_requested[0] if stop_requested else 0.0
            if waited > CHILD_FIRST_SECONDS and not group_signalled:
                # Still up (`dagster dev` waits for its own children): the whole group now,
                # so the daemon threads under it stop cleanly rather than being killed.
                group_signalled = True
                _signal_group(child.pid, signal.SIGTERM)
            if waited > grace_seconds:
                _signal_group(child.pid, signal.SIGKILL)
        # The child is gone; its children may not be (a code server, a run worker).
        if _signal_group(child.pid, signal.SIGTERM):
            deadline = time.monotonic() + grace_seconds
            while time.monotonic() < deadline and _signal_group(child.pid, 0):
                time.sleep(0.2)
            _signal_group(child.pid, signal.SIGKILL)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if on_stopped is not None:
        on_stopped()
    return 0 if stop_requested else child.returncode
