"""Ctrl-C and SIGTERM during a build.

While Dagster executes a run in process it replaces the SIGINT/SIGTERM handlers with one that
only records the signal (dagster._utils.interrupts), so a long step (dbt, a big file) would
run on to the end. The assets ask `interrupted()` between units of work (each dbt event, each
file) and stop cleanly; the CLI then reports the interruption and exits 130.
"""

from __future__ import annotations

import threading

import dagster as dg

_seen = threading.Event()


def interrupted() -> bool:
    """Whether Ctrl-C or SIGTERM arrived during this run (remembered for the CLI)."""
    from dagster._utils.interrupts import check_captured_interrupt  # no public API for this

    if check_captured_interrupt():
        _seen.set()
    return _seen.is_set()


def is_interruption(exc: BaseException) -> bool:
    """An exception that is Ctrl-C or SIGTERM arriving inside a DuckDB query (DuckDB turns
    the signal into its own error, so Dagster never learns of it)."""
    import duckdb

    return isinstance(exc, duckdb.InterruptException) or (
        isinstance(exc, RuntimeError) and "interrupted" in str(exc).lower())


def mark_interrupted() -> None:
    _seen.set()


def stop_if_interrupted() -> None:
    if interrupted():
        raise dg.Failure(description="interrupted by Ctrl-C or SIGTERM; stopped cleanly")


def was_interrupted() -> bool:
    return _seen.is_set()


def reset() -> None:
    _seen.clear()


def interrupted_steps(result) -> list[str]:
    """Steps Dagster stopped because of Ctrl-C or SIGTERM."""
    stopped = []
    for event in result.all_events:
        error = event.step_failure_data.error if event.is_step_failure else None
        while error is not None:
            if error.cls_name == "DagsterExecutionInterruptedError":
                stopped.append(event.step_key)
                break
            error = error.cause
    return stopped
