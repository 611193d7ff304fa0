"""Comparing the tables two engines built: DuckDB's warehouse against Spark's Parquet tables,
cell by cell (money and counts exactly, floating-point ratios within 1e-9)."""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path

import duckdb

from models_py.engines import DBT_SCHEMAS, spark_table_folders


def _same(left: object, right: object) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-12) or (
            math.isnan(left) and math.isnan(right))
    if isinstance(left, Decimal) and isinstance(right, Decimal):
        return left == right  # to the last digit, whatever the declared scale
    return left == right


def compare_engines(warehouse: Path, spark_dir: Path) -> tuple[int, list[str]]:
    """(tables compared, differences): every staging, intermediate and mart table of the
    DuckDB warehouse against the Spark table of the same name."""
    spark_tables = spark_table_folders(spark_dir / "warehouse", DBT_SCHEMAS)
    problems: list[str] = []
    with duckdb.connect() as conn:
        conn.execute(f"ATTACH '{warehouse}' AS wh (READ_ONLY)")
        conn.execute("SET TimeZone = 'UTC'")
        tables = conn.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'wh' "
            f"AND schema_name IN {DBT_SCHEMAS} ORDER BY 1, 2").fetchall()
        for schema, table in tables:
            name = f"{schema}.{table}"
            folder = spark_tables.pop((schema, table), None)
            if folder is None:
                problems.append(f"{name}: not built on Spark")
                continue
            columns = conn.execute(
                "SELECT column_name FROM duckdb_columns() WHERE database_name = 'wh' AND "
                "schema_name = ? AND table_name = ? ORDER BY column_index",
                [schema, table]).fetchall()
            names = ", ".join(f'"{c}"' for (c,) in columns)
            files = [str(f) for f in sorted(folder.glob("*.parquet"))]
            spark_columns = [(name,) for name, *_ in conn.execute(
                "DESCRIBE SELECT * FROM read_parquet(?)", [files]).fetchall()
            ] if files else columns
            if [c for (c,) in spark_columns] != [c for (c,) in columns]:
                problems.append(f"{name}: columns {[c for (c,) in spark_columns]} on Spark, "
                                f"{[c for (c,) in columns]} on DuckDB")
                continue
            left = conn.execute(f"SELECT {names} FROM wh.{schema}.{table} ORDER BY ALL"
                                ).fetchall()
            right = conn.execute(f"SELECT {names} FROM read_parquet(?) ORDER BY ALL",
                                 [files]).fetchall() if files else []
            if len(left) != len(right):
                problems.append(f"{name}: {len(left)} rows on DuckDB, {len(right)} on Spark")
                continue
            for row, (a, b) in enumerate(zip(left, right, strict=True)):
                differ = [(c, x, y) for (c,), x, y in zip(columns, a, b, strict=True)
                          if not _same(x, y)]
                if differ:
                    problems.append(f"{name} row {row + 1} (ordered): " + "; ".join(
                        f"{c} = {x!r} on DuckDB, {y!r} on Spark" for c, x, y in differ[:3]))
                    break
        problems += [f"{s}.{t}: built on Spark only" for s, t in spark_tables]
    return len(tables), problems


def compare_results(left: Path, right: Path, schema: str) -> tuple[int, list[str]]:
    """(tables compared, differences) between two DuckDB warehouses' tables of `schema`
    (the payouts of a DuckDB build against those computed from a Spark build's marts),
    leaving out what names a run (run_id, *_at timestamps)."""
    problems: list[str] = []
    with duckdb.connect() as conn:
        conn.execute(f"ATTACH '{left}' AS l (READ_ONLY)")
        conn.execute(f"ATTACH '{right}' AS r (READ_ONLY)")
        tables = conn.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'l' AND "
            "schema_name = ? ORDER BY 1", [schema]).fetchall()
        for (table,) in tables:
            columns = [c for (c,) in conn.execute(
                "SELECT column_name FROM duckdb_columns() WHERE database_name = 'l' AND "
                "schema_name = ? AND table_name = ? ORDER BY column_index",
                [schema, table]).fetchall() if c != "run_id" and not c.endswith("_at")]
            names = ", ".join(f'"{c}"' for c in columns)
            rows = [conn.execute(f"SELECT {names} FROM {db}.{schema}.{table} ORDER BY ALL"
                                 ).fetchall() for db in ("l", "r")]
            if rows[0] != rows[1]:
                problems.append(f"{schema}.{table}: {len(rows[0])} rows on the left, "
                                f"{len(rows[1])} on the right, not the same")
    return len(tables), problems
