"""`sales-wh check`: profiles validated and each file's load previewed, warehouse untouched."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from orchestration.cli import main

LEADS = [("mql_id", "first_contact_date", "landing_page_id", "origin")] + [
    (f"M{i}", f"2018-01-{1 + i % 28:02d}", f"page{i % 3}", "" if i % 7 == 0 else "social")
    for i in range(40)
]
PROFILE = """
files:
  - pattern: "mql*.csv"
    source: crm
    entity: leads
    rename: {mql_id: lead_id, first_contact_date: created_at, origin: source}
    constants: {status: new}
"""


def write_landing(landing: Path, profile: str = PROFILE) -> None:
    (landing / "funnel").mkdir(parents=True)
    with (landing / "funnel/mql.csv").open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(LEADS)
    (landing / "funnel/profile.yml").write_text(profile, encoding="utf-8")
    (landing / "funnel/notes.txt").write_text("x", encoding="utf-8")


def test_check_lists_each_file_its_entity_counts_and_first_rows(tmp_path, capsys, monkeypatch):
    landing = tmp_path / "landing"
    write_landing(landing)
    home = tmp_path / "home"
    monkeypatch.setenv("SALES_WH_HOME", str(home))
    code = main(["check", "--landing", str(landing), "--rows", "3"])
    out = capsys.readouterr().out
    assert code == 0, out
    missing = sum(1 for row in LEADS[1:] if not row[3])  # computed from the input
    assert "funnel/mql.csv -> crm/leads" in out
    assert f"{len(LEADS) - 1} rows: {len(LEADS) - 1 - missing} would load, {missing} would be " \
           "quarantined" in out
    assert f"{missing:>9,}  source: required value is missing" in out
    assert "kept in _extra (no contract column): landing_page_id" in out
    first = [line.split() for line in out.splitlines() if line.startswith("    2 ")]
    assert first == [["2", "M0", "2018-01-01", "00:00:00", "new"]]  # M0 has no origin
    assert "^ quarantined: source: required value is missing" in out
    assert "no files for: crm/reps" in out
    assert "note: funnel/notes.txt: not mapped by profile funnel, ignored" in out
    assert not home.exists() and not any(p.suffix == ".duckdb" for p in tmp_path.rglob("*"))


def test_check_stops_on_a_profile_problem_with_exit_2(tmp_path, capsys):
    landing = tmp_path / "landing"
    write_landing(landing, PROFILE.replace("entity: leads", "entity: lead"))
    assert main(["check", "--landing", str(landing)]) == 2
    out = capsys.readouterr().out
    assert "PROBLEM:" in out and "files[0].entity" in out and "unknown entity crm/lead" in out


def test_check_exits_1_when_a_file_would_be_rejected_whole(tmp_path, capsys):
    landing = tmp_path / "landing"
    write_landing(landing, PROFILE + "    coalesce: {account_id: [company]}\n")
    os.remove(landing / "funnel/notes.txt")
    (landing / "crm/reps").mkdir(parents=True)
    (landing / "crm/reps/reps.csv").write_text("rep_id,rep_name\nR1,Ann\n", encoding="utf-8")
    assert main(["check", "--landing", str(landing)]) == 1
    out = capsys.readouterr().out
    assert "crm/reps/reps.csv -> crm/reps" in out
    assert "REJECTED whole: crm/reps/reps.csv: missing required column(s)" in out
    assert "REJECTED whole: funnel/mql.csv: the profile takes account_id from column " \
           "'company', which the file lacks" in out
