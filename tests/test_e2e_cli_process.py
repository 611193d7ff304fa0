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
    # No dbt process is left holding the file: a writer can open it at once.
    duckdb.connect(str(home / "warehouse.duckdb")).close()
