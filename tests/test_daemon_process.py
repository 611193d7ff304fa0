"""`sales-wh daemon` as systemd runs it: by its path, stopped by SIGTERM. It runs the
schedules and sensors, and when told to stop it stops, with every process it started."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from test_e2e_cli_process import CLI, wait_for

pytestmark = pytest.mark.e2e


def processes_of(home: Path) -> list[int]:
    """PIDs whose environment names this home (the daemon, its code servers, run workers)."""
    marker = f"SALES_WH_HOME={home}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:  # gone, or not ours
            continue
    return found


def test_the_daemon_runs_the_sensors_and_stops_with_its_children_on_sigterm(
        small_landing, tmp_path):
    home = tmp_path / "home"
    log = tmp_path / "daemon.log"
    environment = {"HOME": os.environ.get("HOME", "/tmp"), "PATH": "/usr/bin:/bin",
                   "LANG": "C.UTF-8"}
    daemon = subprocess.Popen([str(CLI), "daemon", "--home", str(home), "--landing",
                               str(small_landing)], env=environment, cwd="/",
                              stdout=log.open("w"), stderr=subprocess.STDOUT)
    try:
        wait_for(log, "Sensor new_landing_files skipped", seconds=180)
        assert len(processes_of(home)) >= 2  # the daemon and its code server, at least
        started = time.monotonic()
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=60) == 0
        stopped_in = time.monotonic() - started
    finally:
        if daemon.poll() is None:
            daemon.kill()
    deadline = time.monotonic() + 10
    while processes_of(home) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_of(home) == []
    assert stopped_in < 20
    output = log.read_text()
    assert "sales-wh daemon: stopped" in output
    assert "SchedulerDaemon" in output and "Traceback" not in output
