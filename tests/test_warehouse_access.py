"""A warehouse the build cannot write is one clear line before any work, not a failure per step."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from ingest.warehouse import write_problem


def test_a_writable_warehouse_has_no_problem(tmp_path):
    assert write_problem(tmp_path / "w.duckdb") is None


def test_a_warehouse_held_open_by_another_process_names_it(tmp_path):
    path = tmp_path / "w.duckdb"
    duckdb.connect(str(path)).close()
    ready = tmp_path / "ready"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import duckdb, pathlib, time\n"
        f"c = duckdb.connect({str(path)!r}, read_only=True)\n"
        f"pathlib.Path({str(ready)!r}).touch()\n"
        "time.sleep(60)\n")])
    try:
        deadline = time.monotonic() + 30
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        problem = write_problem(path)
    finally:
        holder.kill()
        holder.wait()
    assert problem is not None
    assert f"open in another process (PID {holder.pid}" in problem
    assert "Close that connection, then build again" in problem


def _make_unwritable(path: Path) -> None:
    if os.geteuid() != 0:
        path.chmod(0o444)
        return
    # root writes through permissions; an immutable file stops even root.
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("running as root without chattr: cannot make a file unwritable here")


def test_a_read_only_warehouse_says_what_to_do(tmp_path):
    path = tmp_path / "w.duckdb"
    duckdb.connect(str(path)).close()
    _make_unwritable(path)
    try:
        problem = write_problem(path)
    finally:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True)
        path.chmod(0o644)
    assert problem is not None and problem.startswith(f"cannot write the warehouse {path}: ")
    assert "writable by this user" in problem
