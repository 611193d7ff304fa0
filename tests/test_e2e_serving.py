"""What readers see: the published copy (serving/warehouse.duckdb and its Parquet files), read
while a build runs, through SQLAlchemy, and scanned for contact data."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from test_e2e_cli_process import run_cli, start_cli, wait_for

pytestmark = pytest.mark.e2e

# A reader in its own process, as a BI tool is: it opens the published copy, reads which build
# it is and that build's row counts, counts every table itself, and records what it saw.
READER = """
import json, os, sys, time
import duckdb
path, out, stop = sys.argv[1:4]
seen = []
while not os.path.exists(stop):
    try:
        with duckdb.connect(path, read_only=True) as conn:
            build = conn.execute("SELECT build_id FROM serving.build_info").fetchall()[0][0]
            declared = conn.execute("SELECT table_name, row_count FROM serving.table_rows"
                                    ).fetchall()
            counted = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
                       for t, _ in declared}
        seen.append({"build": build, "rows": sum(n for _, n in declared),
                     "whole": all(counted[t] == n for t, n in declared)})
    except Exception as exc:
        seen.append({"error": f"{type(exc).__name__}: {exc}"})
    time.sleep(0.05)
with open(out, "w") as handle:
    json.dump(seen, handle)
"""


def published(home: Path) -> Path:
    return home / "serving" / "warehouse.duckdb"


def build_id(home: Path) -> str:
    with duckdb.connect(str(published(home)), read_only=True) as conn:
        return conn.execute("SELECT build_id FROM serving.build_info").fetchall()[0][0]


def test_a_reader_sees_the_old_or_the_new_warehouse_whole_while_a_build_runs(
        built_home, small_landing, tmp_path):
    home, landing = tmp_path / "home", tmp_path / "landing"
    shutil.copytree(built_home, home)
    shutil.copytree(small_landing, landing)
    before = build_id(home)
    # New data: three more accounts, so the new build has more rows than the old.
    [accounts] = sorted((landing / "crm/accounts").glob("*.csv"))
    with accounts.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))[:3]
    with (landing / "crm/accounts/late.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        for k, row in enumerate(rows):
            writer.writerow({**row, "account_id": f"A999999{k}"})
    out, stop = tmp_path / "seen.json", tmp_path / "stop"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(published(home)), str(out),
                               str(stop)])
    try:
        time.sleep(1.0)  # the reader is reading before the build starts
        build = start_cli(tmp_path / "build.log", "build", "--landing", str(landing),
                          "--home", str(home))
        wait_for(tmp_path / "build.log", "built     raw/crm__accounts")
        # `sales-wh status` during the build: it answers, and names the running build.
        during = run_cli("status", "--home", str(home))
        assert build.wait(timeout=900) == 0, (tmp_path / "build.log").read_text()[-3000:]
        time.sleep(1.0)  # and goes on reading the new copy
    finally:
        stop.touch()
        reader.wait(timeout=60)
    seen = json.loads(out.read_text())
    errors = [s["error"] for s in seen if "error" in s]
    assert not errors, errors[:3]
    after = build_id(home)
    assert after != before
    assert seen[0]["build"] == before and seen[-1]["build"] == after
    assert {s["build"] for s in seen} == {before, after}
    assert all(s["whole"] for s in seen)
    rows_by_build = {s["build"]: s["rows"] for s in seen}
    assert rows_by_build[after] >= rows_by_build[before] + 3  # dim_customer at least
    assert len(seen) > 20
    assert during.returncode == 0, during.stderr
    assert "running now" in during.stdout and "build_all" in during.stdout
    assert f"published      build {before[:8]}" in during.stdout
    after_status = run_cli("status", "--home", str(home))
    assert f"last build     {after[:8]} SUCCESS" in after_status.stdout
    assert f"published      build {after[:8]}" in after_status.stdout
    assert "0 failed" in after_status.stdout and "Traceback" not in after_status.stderr
    # The build says where readers find it.
    assert "published      " in (tmp_path / "build.log").read_text()
    assert after[:8] in (tmp_path / "build.log").read_text()


def test_parquet_files_match_the_published_tables(built_home):
    with duckdb.connect(str(published(built_home)), read_only=True) as conn:
        tables = dict(conn.execute("SELECT table_name, row_count FROM serving.table_rows"
                                   ).fetchall())
        for name, rows in tables.items():
            schema, table = name.split(".")
            path = built_home / "serving" / "parquet" / schema / f"{table}.parquet"
            assert conn.execute(f"SELECT count(*) FROM read_parquet('{path}')"
                                ).fetchall()[0][0] == rows, name
    assert {p.parent.name for p in (built_home / "serving/parquet").glob("*/*.parquet")} == {
        name.split(".")[0] for name in tables} | {"serving"}
    assert {name.split(".")[0] for name in tables} == {"marts", "finance"}  # forecast: not yet

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
PHONE = re.compile(r"\+\d[\d ().-]{7,}\d")


def test_no_text_value_readers_see_is_an_email_or_a_phone_number(built_home, small_landing):
    """Every text column of the published copy, scanned here with Python's own patterns;
    and the landing files do carry such values (so the scan could find them)."""
    with (small_landing / "crm/accounts").glob("*.csv").__next__().open(encoding="utf-8") as f:
        accounts = list(csv.DictReader(f))
    assert any(EMAIL.search(r["contact_email"]) for r in accounts)
    assert any(PHONE.search(r["contact_phone"]) for r in accounts)
    with duckdb.connect(str(published(built_home)), read_only=True) as conn:
        columns = conn.execute("SELECT schema_name, table_name, column_name FROM "
                               "duckdb_columns() WHERE data_type = 'VARCHAR'").fetchall()
        assert len(columns) > 20
        for schema, table, column in columns:
            values = conn.execute(f'SELECT DISTINCT "{column}" FROM "{schema}"."{table}" '
                                  f'WHERE "{column}" IS NOT NULL').fetchall()
            for (value,) in values:
                assert not EMAIL.search(value), (schema, table, column, value)
                assert not PHONE.search(value), (schema, table, column, value)


def test_a_bi_tool_lists_the_marts_and_reads_column_descriptions_through_sqlalchemy(
        built_home):
    """As Superset or a notebook connects: SQLAlchemy + duckdb_engine, read-only, on the
    published copy. Tables and descriptions are those the dbt YAML declares."""
    import sqlalchemy
    import yaml

    from orchestration.settings import DBT_PROJECT_DIR

    documented = {}
    for path in (DBT_PROJECT_DIR / "models" / "marts").rglob("_*__models.yml"):
        for model in yaml.safe_load(path.read_text(encoding="utf-8"))["models"]:
            documented[model["name"]] = model
    engine = sqlalchemy.create_engine(f"duckdb:///{published(built_home)}",
                                      connect_args={"read_only": True})
    try:
        inspector = sqlalchemy.inspect(engine)
        assert set(inspector.get_table_names(schema="marts")) == set(documented)
        columns = {c["name"]: c for c in inspector.get_columns("fct_orders", schema="marts")}
        for column in documented["fct_orders"]["columns"]:
            assert columns[column["name"]]["comment"] == column["description"].strip()
        assert inspector.get_table_comment("mart_rep_kpis", schema="marts")["text"] == \
            documented["mart_rep_kpis"]["description"].strip()
        # The tables Python writes are described too.
        for table in inspector.get_table_names(schema="finance"):
            assert inspector.get_table_comment(table, schema="finance")["text"], table
        payouts = inspector.get_columns("commission_payouts", schema="finance")
        assert all(c["comment"] for c in payouts), [c["name"] for c in payouts]
        with engine.connect() as connection:
            rows = connection.execute(sqlalchemy.text(
                "SELECT count(*) FROM marts.fct_orders")).scalar_one()
        assert rows > 0
    finally:
        engine.dispose()


def test_no_schema_is_empty(built_home):
    """A schema appears with its first table: after a build without forecasts there is no
    `forecast` schema promising tables that are not there."""
    with duckdb.connect(str(built_home / "warehouse.duckdb"), read_only=True) as conn:
        empty = conn.execute(
            "SELECT schema_name FROM duckdb_schemas() s WHERE NOT internal AND schema_name "
            "NOT IN ('main') AND NOT EXISTS (SELECT 1 FROM duckdb_tables() t WHERE "
            "t.schema_name = s.schema_name AND t.database_name = s.database_name) AND NOT "
            "EXISTS (SELECT 1 FROM duckdb_views() v WHERE v.schema_name = s.schema_name "
            "AND v.database_name = s.database_name AND NOT v.internal)").fetchall()
    assert empty == []
