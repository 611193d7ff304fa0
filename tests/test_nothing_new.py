"""A build with nothing new stops before Dagster and dbt; anything a build depends on that
changed (a landing file, an option, the code, the warehouse, the published copy) makes it
build."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest

from orchestration.nothing_new import changed_parts, fingerprint, record
from orchestration.settings import PROJECT_ROOT


@pytest.fixture
def home(tmp_path):
    (tmp_path / "landing" / "crm" / "reps").mkdir(parents=True)
    (tmp_path / "landing" / "crm" / "reps" / "a.csv").write_text("x\n")
    (tmp_path / "home" / "serving").mkdir(parents=True)
    (tmp_path / "home" / "warehouse.duckdb").write_bytes(b"w")
    (tmp_path / "home" / "serving" / "warehouse.duckdb").write_bytes(b"p")
    return tmp_path


def current(root, options=None):
    return fingerprint(root / "landing", root / "home" / "warehouse.duckdb",
                       root / "home" / "serving" / "warehouse.duckdb", PROJECT_ROOT,
                       options or {"dbt_vars": None})


def test_nothing_changed_is_nothing_new_and_each_change_is_named(home):
    assert changed_parts(home / "home", current(home)) is None  # never built: build
    record(home / "home", "run-1", current(home))
    assert changed_parts(home / "home", current(home)) == []

    later = time.time() + 5
    os.utime(home / "landing/crm/reps/a.csv", (later, later))  # touched: counts as new
    assert changed_parts(home / "home", current(home)) == ["landing"]
    record(home / "home", "run-2", current(home))
    (home / "landing/crm/reps/b.csv.part").write_text("uploading")
    assert changed_parts(home / "home", current(home)) == ["landing"]
    record(home / "home", "run-3", current(home))

    assert changed_parts(home / "home", current(home, {"dbt_vars": '{"as_of_date": "x"}'})
                         ) == ["options"]
    (home / "home" / "warehouse.duckdb").write_bytes(b"locked a month")
    assert changed_parts(home / "home", current(home)) == ["warehouse"]
    record(home / "home", "run-4", current(home))
    (home / "home" / "serving" / "warehouse.duckdb").unlink()
    assert changed_parts(home / "home", current(home)) == ["published"]


@pytest.mark.e2e
def test_a_build_with_nothing_new_says_so_in_seconds(built_home, small_landing, tmp_path):
    from test_e2e_cli_process import CLI

    home = tmp_path / "home"
    shutil.copytree(built_home, home)  # copy2: the same modification times
    environment = {"HOME": os.environ.get("HOME", "/tmp"), "PATH": "/usr/bin:/bin",
                   "LANG": "C.UTF-8"}
    started = time.monotonic()
    done = subprocess.run([str(CLI), "build", "--landing", str(small_landing), "--home",
                           str(home)], env=environment, cwd="/", capture_output=True,
                          text=True, timeout=300, check=False)
    seconds = time.monotonic() - started
    assert done.returncode == 0, done.stdout + done.stderr
    assert "nothing new since build" in done.stdout
    assert seconds < 10  # measured ~0.7 s; the bound only catches a build that ran
