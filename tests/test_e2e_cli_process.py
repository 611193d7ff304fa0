"""The CLI as cron, systemd or a CI step runs it: by its absolute path, in a fresh process whose
PATH does not lead to the project's environment. A build succeeds; a build whose dbt step fails
ends with exit code 1, names the failed node and the log, prints no traceback, and leaves no
dbt process holding the warehouse."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.e2e

CLI = Path(sys.executable).parent / "sales-wh"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    environment = {"HOME": os.environ.get("HOME", "/tmp"), "PATH": "/usr/bin:/bin",
                   "LANG": "C.UTF-8"}
    return subprocess.run([str(CLI), *args], env=environment, cwd="/", capture_output=True,
                          text=True, timeout=900, check=False)


def test_the_cli_by_its_path_without_an_environment(small_landing, tmp_path):
    assert shutil.which("dbt", path="/usr/bin:/bin") is None
    landing = tmp_path / "landing"
    shutil.copytree(small_landing, landing)
    home = tmp_path / "home"
    done = run_cli("build", "--landing", str(landing), "--home", str(home))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "succeeded" in done.stdout and "Traceback" not in done.stdout + done.stderr
    published = home / "serving" / "warehouse.duckdb"
    with duckdb.connect(str(published), read_only=True) as conn:
        first = conn.execute("SELECT build_id FROM serving.build_info").fetchall()[0][0]

    # A stage the stage map does not know fails a dbt test: the build fails cleanly.
    [path] = sorted((landing / "crm/opportunities").glob("*.csv"))
    with path.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    deal = dict.fromkeys(header, "")
    deal.update(opportunity_id="OPP-LIMBO", owner_rep_id="R0001",
                created_at="2025-01-02 09:00:00", stage="Limbo")
    with (landing / "crm/opportunities/limbo.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=header)
        writer.writeheader()
        writer.writerow(deal)
    failed = run_cli("build", "--landing", str(landing), "--home", str(home))
    output = failed.stdout + failed.stderr
    assert failed.returncode == 1, output[-3000:]
    assert "Traceback" not in output
    assert "not_null_stg_crm__opportunities_canonical_stage" in output
    assert "dbt log:" in output and str(home / "logs" / "build.log") in output
    # The cause is in the build log too, not only on the console.
    logged = (home / "logs" / "build.log").read_text(encoding="utf-8")
    assert "FAILED step" in logged and "not_null_stg_crm__opportunities_canonical_stage" in logged
    # No dbt process is left holding the file: a writer can open it at once.
    duckdb.connect(str(home / "warehouse.duckdb")).close()
    # Readers still see the first build, and the summary says so.
    with duckdb.connect(str(published), read_only=True) as conn:
        assert conn.execute("SELECT build_id FROM serving.build_info").fetchall()[0][0] == first
    assert f"NOT this build: readers still see build {first[:8]}" in failed.stdout


def start_cli(log: Path, *args: str) -> subprocess.Popen:
    environment = {"HOME": os.environ.get("HOME", "/tmp"), "PATH": "/usr/bin:/bin",
                   "LANG": "C.UTF-8"}
    return subprocess.Popen([str(CLI), *args], env=environment, cwd="/",
                            stdout=log.open("w"), stderr=subprocess.STDOUT, text=True)


def wait_for(log: Path, text: str, seconds: float = 120) -> None:
    import time

    deadline = time.monotonic() + seconds
    while text not in log.read_text(encoding="utf-8", errors="replace"):
        assert time.monotonic() < deadline, f"{text!r} never appeared in {log}"
        time.sleep(0.2)


def test_a_killed_build_does_not_block_the_next_and_a_second_build_waits(small_landing,
                                                                         tmp_path):
    import signal

    home = tmp_path / "home"
    args = ("build", "--landing", str(small_landing), "--home", str(home))
    first = start_cli(tmp_path / "first.log", *args)
    wait_for(tmp_path / "first.log", "start     ingest")
    first.send_signal(signal.SIGKILL)  # as `kill -9`: no cleanup at all
    first.wait()
    # The killed run still holds the only warehouse slot: the next build frees it and goes on.
    second = start_cli(tmp_path / "second.log", *args)
    wait_for(tmp_path / "second.log", "start     ingest")
    third = run_cli(*args)  # meanwhile: waits for the second build, saying so
    assert second.wait(timeout=900) == 0
    said = (tmp_path / "second.log").read_text(encoding="utf-8")
    assert "of a build that died" in said and "marked failed" in said, said[-2000:]
    assert third.returncode == 0, third.stdout[-2000:]
    assert "waiting for the build already running" in third.stdout
    assert "PID" in third.stdout


def test_sigterm_stops_a_build_cleanly(small_landing, tmp_path):
    import signal

    home = tmp_path / "home"
    args = ("build", "--landing", str(small_landing), "--home", str(home))
    build = start_cli(tmp_path / "build.log", *args)
    wait_for(tmp_path / "build.log", "start     ingest")
    build.send_signal(signal.SIGTERM)
    assert build.wait(timeout=120) == 130
    said = (tmp_path / "build.log").read_text(encoding="utf-8")
    assert "interrupted" in said and "Traceback" not in said
    assert run_cli(*args).returncode == 0  # and the next build just works


def test_a_deleted_file_is_named_on_every_build(small_landing, tmp_path):
    landing = tmp_path / "landing"
    shutil.copytree(small_landing, landing)
    home = tmp_path / "home"
    assert run_cli("build", "--landing", str(landing), "--home", str(home)).returncode == 0
    [gone] = sorted((landing / "survey/complaints").glob("*.csv"))
    gone.unlink()
    done = run_cli("build", "--landing", str(landing), "--home", str(home))
    relative = gone.relative_to(landing).as_posix()
    assert done.returncode == 0
    assert f"warning: {relative} was loaded but is no longer in" in done.stdout
    assert f"sales-wh retract {relative} --home {home}" in done.stdout


def test_a_scoring_run_killed_mid_way_does_not_block_the_next(built_home, tmp_path):
    """`kill -9` of `sales-wh score` leaves its run holding the warehouse's pool slot: the
    next command finds the run's process gone, marks the run failed, frees the slot and
    runs, instead of waiting forever for it."""
    import signal
    import time

    home = tmp_path / "home"
    shutil.copytree(built_home, home)
    log = tmp_path / "first.log"
    environment = {"HOME": os.environ.get("HOME", "/tmp"), "PATH": "/usr/bin:/bin",
                   "LANG": "C.UTF-8"}
    first = subprocess.Popen([str(CLI), "score", "--home", str(home)], env=environment,
                             cwd="/", stdout=log.open("w"), stderr=subprocess.STDOUT)
    runs = home / "dagster" / "history" / "runs.db"

    def started() -> int:
        import sqlite3

        with sqlite3.connect(runs) as db:
            return db.execute("SELECT count(*) FROM runs WHERE status = 'STARTED'"
                              ).fetchall()[0][0]

    deadline = time.monotonic() + 120
    while started() == 0 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert started() == 1, log.read_text()[-2000:]
    first.send_signal(signal.SIGKILL)
    first.wait()
    done = run_cli("score", "--home", str(home))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "was marked failed and its warehouse slot freed" in done.stdout
    assert "win_probability as of" in done.stdout
