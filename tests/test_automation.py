"""The sensor that starts a build when files land: complete new files request one run; uploads
in progress (.part/.tmp) and files still growing request none; a file already built does not
request another until its bytes change."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import dagster as dg
import pytest

from orchestration.automation import new_landing_files

OLD = time.time() - 3600  # an hour ago: settled


def evaluate(cursor: str | None) -> tuple[list[dg.RunRequest], str | None]:
    context = dg.build_sensor_context(cursor=cursor)
    result = new_landing_files(context)
    return list(result.run_requests or []), result.cursor


def write(path: Path, text: str, modified: float = OLD) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    os.utime(path, (modified, modified))
    return path


@pytest.fixture
def landing(tmp_path, monkeypatch, small_landing):
    folder = tmp_path / "landing"
    shutil.copytree(small_landing / "survey", folder / "survey")
    for path in folder.rglob("*.csv"):
        os.utime(path, (OLD, OLD))
    monkeypatch.setenv("SALES_WH_LANDING", str(folder))
    monkeypatch.setenv("SALES_WH_SETTLE_SECONDS", "30")
    return folder


def test_a_new_complete_file_requests_a_build_and_an_upload_in_progress_does_not(landing):
    # First look: the files are seen; second look: unchanged and old, so they are complete.
    # The files that were there when the sensor started build once (a catch-up run).
    requests, cursor = evaluate(None)
    assert requests == []
    requests, cursor = evaluate(cursor)
    assert len(requests) == 1 and requests[0].tags["sales_wh/new_files"] == "2"
    requests, cursor = evaluate(cursor)
    assert requests == []  # nothing new

    [responses] = sorted((landing / "survey/responses").glob("*.csv"))
    header = responses.read_text(encoding="utf-8").splitlines()[0]
    write(landing / "survey/responses/upload.csv.part", header + "\n")
    write(landing / "survey/responses/upload.tmp", header + "\n")
    for _ in range(3):
        requests, cursor = evaluate(cursor)
        assert requests == []

    write(landing / "survey/responses/2026-11-01.csv", header + "\n")
    requests, cursor = evaluate(cursor)
    assert requests == []  # seen once: it could still be growing
    requests, cursor = evaluate(cursor)
    assert [r.tags["sales_wh/first_new_file"] for r in requests] == [
        "survey/responses/2026-11-01.csv"]
    key = requests[0].run_key
    requests, cursor = evaluate(cursor)
    assert requests == []

    # Replaced in place with new bytes: a new fingerprint, a new build, a new run key.
    write(landing / "survey/responses/2026-11-01.csv", header + "\n\n")
    requests, cursor = evaluate(cursor)
    assert requests == []
    requests, cursor = evaluate(cursor)
    assert len(requests) == 1 and requests[0].run_key != key


def test_a_file_still_growing_waits_until_it_stops(landing):
    _, cursor = evaluate(None)
    _, cursor = evaluate(cursor)  # the catch-up run for what was there
    path = landing / "survey/complaints/2026-11-02.csv"
    [complaints] = sorted((landing / "survey/complaints").glob("*.csv"))
    header = complaints.read_text(encoding="utf-8").splitlines()[0]
    now = time.time()
    write(path, header + "\n", modified=now)
    requests, cursor = evaluate(cursor)
    assert requests == []
    write(path, header + "\n" + "x" * 10, modified=now)  # grew since the last look
    requests, cursor = evaluate(cursor)
    assert requests == []
    requests, cursor = evaluate(cursor)
    assert requests == []  # unchanged now, but written less than 30 s ago
    os.utime(path, (OLD, OLD))
    requests, cursor = evaluate(cursor)
    assert requests == []  # its modification time changed: seen anew
    requests, cursor = evaluate(cursor)
    assert len(requests) == 1
