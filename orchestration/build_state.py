"""One build per home at a time, and what a crashed build left behind.

- `exclusive_build` holds `<home>/build.lock` (an flock: the kernel releases it when its
  process dies, `kill -9` included). A second build says whom it waits for, then waits.
- `clear_stale_runs` runs once the lock is held: a run this CLI started (tagged with its PID)
  whose process is gone is marked failed and its warehouse pool slot freed, so the next run
  does not wait forever for a slot nobody will give back. A run that is still alive (one
  launched from `sales-wh ui`, say) is left alone and named while the build waits for it.
"""

from __future__ import annotations

import fcntl
import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

PID_TAG = "sales_wh/pid"
# Runs a schedule or sensor starts (through the daemon) carry this tag.
AUTOMATION_TAG = ("sales_wh/launched_by", "automation")
HOST_TAG = "sales_wh/host"
UNFINISHED = ("QUEUED", "NOT_STARTED", "STARTING", "STARTED", "CANCELING")


def run_tags() -> dict[str, str]:
    """Tags of a run this process starts: whose it is, to tell later whether it still lives."""
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


@contextmanager
def exclusive_build(home: Path, say: Callable[[str], None]) -> Iterator[None]:
    lock_path = home / "build.lock"
    with lock_path.open("a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            say(f"waiting for the build already running on {home}: {holder} "
                "(Ctrl-C to stop waiting)")
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        handle.write(f"sales-wh build, PID {os.getpid()} on {socket.gethostname()}, since "
                     f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC\n")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def is_orphaned(run) -> bool:
    """A run this CLI started on this host whose process no longer exists."""
    pid = run.tags.get(PID_TAG)
    if pid is None or run.tags.get(HOST_TAG) != socket.gethostname():
        return False
    return int(pid) != os.getpid() and not process_alive(int(pid))


def unfinished_runs(instance, tags: dict[str, str] | None = None) -> list:
    from dagster import DagsterRunStatus, RunsFilter

    return list(instance.get_runs(filters=RunsFilter(
        statuses=[DagsterRunStatus[s] for s in UNFINISHED], tags=tags or {})))


def end_run(instance, run, *, canceled: bool, why: str) -> None:
    """Record how an unfinished run ended and give its warehouse slot back."""
    if canceled:
        instance.report_run_canceled(run, why)
    else:
        instance.report_run_failed(run, why)
    instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)


def cancel_own_runs(instance) -> None:
    """After Ctrl-C or SIGTERM: this process's unfinished run is canceled, its slot freed."""
    for run in unfinished_runs(instance, {PID_TAG: str(os.getpid())}):
        end_run(instance, run, canceled=True, why="stopped by Ctrl-C or SIGTERM")


def clear_stale_runs(instance, say: Callable[[str], None], pool: str) -> None:
    """Mark failed the runs whose process died and free their pool slots; name the live runs
    that hold the pool (the build will wait for them)."""
    for run in unfinished_runs(instance):
        if is_orphaned(run):
            end_run(instance, run, canceled=False,
                    why=f"its process (PID {run.tags[PID_TAG]}) ended without finishing the "
                    "run (killed?); marked failed by the next build, which freed its pool slot")
            say(f"note: run {run.run_id[:8]} of a build that died (PID {run.tags[PID_TAG]} is "
                "gone) was marked failed and its warehouse slot freed")
    for run in free_finished_slots(instance, say, pool):
        where = (f"PID {run.tags[PID_TAG]}" if PID_TAG in run.tags
                 else "launched from the Dagster UI, or by a sales-wh older than PID tags")
        say(f"waiting for run {run.run_id[:8]} ({where}, {run.status.value}), which holds the "
            "warehouse; it must finish first (if it is dead, terminate it in `sales-wh ui`)")


def free_finished_slots(instance, say: Callable[[str], None], pool: str) -> list:
    """Give back the pool slots of runs that have ended (a run whose worker was stopped can
    end without releasing its slot); the unfinished runs that hold slots."""
    storage = instance.event_log_storage
    holding = []
    for run_id in storage.get_concurrency_info(pool).active_run_ids:
        run = instance.get_run_by_id(run_id)
        if run is None or run.status.value not in UNFINISHED:
            storage.free_concurrency_slots_for_run(run_id)
            say(f"note: freed the warehouse slot held by finished run {run_id[:8]}")
        else:
            holding.append(run)
    return holding
