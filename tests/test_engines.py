"""models_py/engines.py: after a Spark build the DuckDB warehouse reads Spark's tables, and
the Python assets' tables go back to Spark through the lake."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from models_py.engines import drop_spark_views, expose_spark_tables, results_to_lake


def _spark_table(warehouse: Path, schema: str, table: str, sql: str) -> None:
    folder = warehouse / f"{schema}.db" / table
    folder.mkdir(parents=True)
    (folder / "_SUCCESS").touch()  # Spark's marker file, not data
    with duckdb.connect() as conn:
        conn.execute(f"COPY ({sql}) TO '{folder}/part-00000.snappy.parquet' (FORMAT parquet)")


def test_dbt_schemas_become_views_of_what_spark_built(tmp_path):
    spark = tmp_path / "spark" / "warehouse"
    _spark_table(spark, "marts", "mart_a", "SELECT 1 AS k, 2.50::DECIMAL(18, 2) AS amount")
    _spark_table(spark, "staging", "stg_b", "SELECT 'x' AS name")
    with duckdb.connect(str(tmp_path / "w.duckdb")) as conn:
        # An earlier DuckDB build left a table of the same name and one Spark did not build.
        conn.execute("CREATE SCHEMA marts")
        conn.execute("CREATE TABLE marts.mart_a AS SELECT 99 AS k")
        conn.execute("CREATE TABLE marts.mart_gone AS SELECT 1 AS k")
        conn.execute("CREATE SCHEMA finance")
        conn.execute("CREATE TABLE finance.kept AS SELECT 1 AS k")  # not dbt's: untouched
        conn.execute("CREATE VIEW marts.mart_gone_view AS SELECT 1 AS k")  # an older Spark's
        exposed = expose_spark_tables(conn, spark)
        assert (exposed.views, exposed.dropped) == (2, ("marts.mart_gone_view",))
        # A table Spark did not build stays (the lead-score marts are written by Python).
        assert conn.execute("SELECT k FROM marts.mart_gone").fetchall() == [(1,)]
        assert conn.execute("SELECT k, amount FROM marts.mart_a").fetchall() == [
            (1, Decimal("2.50"))]
        assert conn.execute("SELECT name FROM staging.stg_b").fetchall() == [("x",)]
        assert conn.execute("SELECT count(*) FROM finance.kept").fetchall() == [(1,)]
        # The view reads the folder at query time: Spark's next build shows without a call.
        (spark / "marts.db" / "mart_a" / "part-00000.snappy.parquet").unlink()
        conn.execute(f"COPY (SELECT 7 AS k, 1.00::DECIMAL(18, 2) AS amount) TO "
                     f"'{spark}/marts.db/mart_a/part-00001.snappy.parquet' (FORMAT parquet)")
        assert conn.execute("SELECT k FROM marts.mart_a").fetchall() == [(7,)]
        assert expose_spark_tables(conn, spark).dropped == ()  # again: nothing to drop
        # Back on DuckDB: the views go, so dbt can build its tables (and seeds) there.
        assert drop_spark_views(conn) == 2
        with pytest.raises(FileNotFoundError, match="Nothing was changed"):
            expose_spark_tables(conn, tmp_path / "not-spark")
        assert conn.execute("SELECT count(*) FROM marts.mart_gone").fetchall() == [(1,)]
        assert conn.execute("SELECT count(*) FROM duckdb_views() WHERE NOT internal"
                            ).fetchall() == [(0,)]
        assert conn.execute("SELECT count(*) FROM finance.kept").fetchall() == [(1,)]


def test_results_go_to_the_lake_whole_and_replace_the_last_run(tmp_path):
    lake = tmp_path / "lake"
    leftover = lake / "results" / "finance" / ".tmp-commission_payouts-dead"
    leftover.mkdir(parents=True)  # a run killed mid-way
    with duckdb.connect() as conn:
        conn.execute("CREATE SCHEMA finance")
        conn.execute("CREATE SCHEMA marts")
        conn.execute("CREATE TABLE finance.commission_payouts AS SELECT 1 AS rep, "
                     "10.00::DECIMAL(18, 2) AS total")
        conn.execute("CREATE TABLE marts.mart_lead_scores AS SELECT 1 AS lead")
        conn.execute("CREATE VIEW marts.mart_from_spark AS SELECT 1 AS k")  # Spark's own
        written = ["finance.commission_payouts", "marts.mart_lead_scores"]
        assert results_to_lake(conn, lake) == written
        conn.execute("UPDATE finance.commission_payouts SET total = 12.34")
        assert results_to_lake(conn, lake) == written
        folder = lake / "results" / "finance" / "commission_payouts"
        assert conn.execute(f"SELECT total::VARCHAR FROM read_parquet('{folder}/*.parquet')"
                            ).fetchall() == [("12.34",)]
    assert sorted(p.name for p in (lake / "results" / "finance").iterdir()) == [
        "commission_payouts"]


def test_a_spark_build_starts_from_no_table_files_in_dbts_schemas(tmp_path):
    """A killed Spark build leaves a table's files without its catalog entry, and the next
    build could not create the table there: every dbt table's files go before a build."""
    from models_py.engines import clear_spark_tables

    spark = tmp_path / "warehouse"
    _spark_table(spark, "marts", "mart_a", "SELECT 1 AS k")
    _spark_table(spark, "staging", "stg_b", "SELECT 1 AS k")
    (spark / "raw.db").mkdir()  # the sources' schema: external tables, files in the lake
    (spark / "finance.db" / "kept").mkdir(parents=True)
    assert clear_spark_tables(spark) == 2
    assert not any((spark / "marts.db").iterdir()) and not any((spark / "staging.db").iterdir())
    assert (spark / "finance.db" / "kept").is_dir()
