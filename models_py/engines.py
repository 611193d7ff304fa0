"""The tables dbt built, read the same way whichever engine built them (issue 14).

Payouts, forecasts, scores, the Great Expectations mart suites and the published copy read
`staging.*`, `intermediate.*` and `marts.*` through a DuckDB connection to the warehouse.
After a build on DuckDB those are dbt's tables. After a build on Spark they are views over
the Parquet files of Spark's tables (`expose_spark_tables`), so every one of those readers
works unchanged and reads what Spark built, not an older DuckDB build: they are small
aggregates, read in seconds. What the Python assets write (`finance`, `forecast`, `scoring`)
goes back to Spark the same way, as Parquet folders in the lake that Spark registers as
tables (`results_to_lake`, dbt_project/macros/spark_sources.sql).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ingest.sql import ident, literal, qualified
from ingest.warehouse import in_transaction
from models_py.files import atomic_write

DBT_SCHEMAS = ("staging", "intermediate", "marts")
RESULT_SCHEMAS = ("finance", "forecast", "scoring")


def spark_table_folders(spark_warehouse: Path,
                        schemas: tuple[str, ...] = DBT_SCHEMAS) -> dict[tuple[str, str], Path]:
    """The folder of every table Spark keeps in `schemas`: `<warehouse>/<schema>.db/<table>`,
    Spark's layout for managed tables (spark.sql.warehouse.dir)."""
    found = {}
    for schema in schemas:
        folder = spark_warehouse / f"{schema}.db"
        if folder.is_dir():
            for table in sorted(p for p in folder.iterdir() if p.is_dir()):
                found[(schema, table.name)] = table
    return found


def clear_spark_tables(spark_warehouse: Path) -> int:
    """Remove the files of every table Spark keeps in dbt's schemas, before a build on Spark
    makes them all again. A build killed mid-way (kill -9) can leave a table's folder without
    its catalog entry, and Spark then refuses to create the table there
    (LOCATION_ALREADY_EXISTS); the legacy switch that allows it appends to the old files
    since Spark 3.4, which would double rows. dbt drops each catalog entry before it creates
    the table, so entries left without files do no harm. Returns the folders removed."""
    folders = spark_table_folders(spark_warehouse)
    for folder in folders.values():
        shutil.rmtree(folder)
    return len(folders)


@dataclass(frozen=True)
class Exposed:
    views: int
    dropped: tuple[str, ...]  # objects of an earlier build that Spark did not build


def expose_spark_tables(conn: duckdb.DuckDBPyConnection, spark_warehouse: Path) -> Exposed:
    """Make dbt's schemas in the DuckDB warehouse views over Spark's tables, in one
    transaction. A table an earlier DuckDB build left under a name Spark built is replaced,
    and a view over a table Spark no longer builds is dropped. Other tables stay: the
    Python assets write some into `marts` (mart_lead_scores), and they go back to Spark with
    the results (`results_to_lake`). Raises when Spark built nothing here: a wrong folder
    must not empty the warehouse."""
    folders = spark_table_folders(spark_warehouse)
    if not folders:
        raise FileNotFoundError(
            f"no Spark tables under {spark_warehouse} (<schema>.db/<table>/ folders): is "
            "SALES_WH_SPARK_DIR the folder the spark target's spark.sql.warehouse.dir names? "
            "Nothing was changed in the DuckDB warehouse")
    existing = conn.execute(
        "SELECT schema_name, table_name, 'TABLE' FROM duckdb_tables() WHERE schema_name IN "
        f"{DBT_SCHEMAS} AND database_name = current_database() UNION ALL "
        "SELECT schema_name, view_name, 'VIEW' FROM duckdb_views() WHERE NOT internal AND "
        f"schema_name IN {DBT_SCHEMAS} AND database_name = current_database()").fetchall()
    dropped = []
    with in_transaction(conn):
        for schema, name, kind in existing:
            if (schema, name) in folders:
                if kind == "TABLE":
                    conn.execute(f"DROP TABLE {qualified(schema, name)}")
            elif kind == "VIEW":
                conn.execute(f"DROP VIEW {qualified(schema, name)}")
                dropped.append(f"{schema}.{name}")
        for schema in sorted({schema for schema, _ in folders}):
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {ident(schema)}")
        for (schema, name), folder in folders.items():
            # A glob, read at query time: the view follows Spark's next build of the table.
            conn.execute(f"CREATE OR REPLACE VIEW {qualified(schema, name)} AS SELECT * FROM "
                         f"read_parquet({literal(str(folder / '*.parquet'))})")
    return Exposed(len(folders), tuple(dropped))


def drop_spark_views(conn: duckdb.DuckDBPyConnection) -> int:
    """Before a build on DuckDB in a home last built on Spark: the views over Spark's tables
    go (dbt builds no views here, and cannot seed or build a table where a view stands).
    Returns the views dropped."""
    views = conn.execute(
        "SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal AND "
        f"schema_name IN {DBT_SCHEMAS} AND database_name = current_database()").fetchall()
    with in_transaction(conn):
        for schema, name in views:
            conn.execute(f"DROP VIEW {qualified(schema, name)}")
    return len(views)


def results_to_lake(conn: duckdb.DuckDBPyConnection, lake_dir: Path) -> list[str]:
    """Write every table the Python assets made to `<lake>/results/<schema>/<table>/` as
    Parquet, for Spark to register: the result schemas' tables, and the tables (not views)
    in `marts` (mart_lead_scores, mart_lead_funnel_by_score). Each table is one file,
    replaced by a rename (models_py/files.py), so Spark reads the old table or the new one,
    never half of one (the partial file's name starts with ".", which Spark skips). Returns
    `schema.table` for each."""
    tables = conn.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = "
        f"current_database() AND (schema_name IN {RESULT_SCHEMAS} OR schema_name = 'marts') "
        "ORDER BY 1, 2").fetchall()
    for schema, table in tables:
        name = qualified(schema, table)

        def copy(partial: Path, name: str = name) -> None:
            conn.execute(f"COPY {name} TO {literal(str(partial))} (FORMAT parquet)").fetchall()

        atomic_write(lake_dir / "results" / schema / table / "part-0.parquet", copy)
    # What a run killed mid-write left (one writer at a time: the warehouse pool).
    results = lake_dir / "results"
    for leftover in [*results.glob("*/.*"), *results.glob("*/*/.*")]:
        if leftover.is_dir():
            shutil.rmtree(leftover)
        else:
            leftover.unlink()
    return [f"{schema}.{table}" for schema, table in tables]
