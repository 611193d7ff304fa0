"""Publish the warehouse for readers: `<home>/serving/warehouse.duckdb` and one Parquet file per
table under `<home>/serving/parquet/<schema>/<table>.parquet`.

Readers (BI tools, finance, `sales-wh metrics`) never open the build's own file: DuckDB lets
one process write a file and nobody else open it meanwhile, so a reader of the build's file
fails during a build and a build fails while a reader holds it. The published copy is a new
file each time, written under a temporary name beside the old one and renamed over it in one
step (`os.replace`), so a reader that opens it sees the old or the new warehouse, whole, and
one that has it open keeps reading the old file until it reconnects.

Only the BI-facing schemas are published (`marts`, `forecast`, `finance`, `scoring`), with
their table and column descriptions. Staff identities are masked, then every text column of
the copy is scanned: an email address or phone number anywhere stops the publish (the CRM's contact
data stays in `raw`/`staging`). `serving.build_info`
names the build (its Dagster run id) and `serving.table_rows` its tables' row counts, so a
reader can tell which build it sees and check it saw all of it.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from ingest.files import fsync_path
from ingest.sql import ident, literal, qualified
from models_py.serving.pii import contact_details

BI_SCHEMAS = ("marts", "forecast", "finance", "scoring")
PUBLISHED_NAME = "warehouse.duckdb"


class PublishRefused(RuntimeError):
    """The warehouse is not fit to publish; the previous published copy stays."""


@dataclass(frozen=True)
class Published:
    build_id: str
    path: Path
    tables: dict[str, int]  # "schema.table" -> rows
    parquet_dir: Path
    seconds: float
    preview: str = ""  # the latest months by region, as a Markdown table (for the UI)


def serving_dir(home: Path) -> Path:
    return home / "serving"


def published_path(home: Path) -> Path:
    """The file readers open: `<home>/serving/warehouse.duckdb`."""
    return serving_dir(home) / PUBLISHED_NAME


def _copy_tables(conn: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """The BI schemas of the attached `source`, with their comments; rows per table."""
    # Views too: after a build on Spark, dbt's tables are views over Spark's files
    # (models_py/engines.py), copied here as tables like any other.
    tables = conn.execute(
        "SELECT schema_name, table_name, comment FROM duckdb_tables() WHERE database_name = "
        f"'source' AND schema_name IN {BI_SCHEMAS} UNION ALL SELECT schema_name, view_name, "
        "comment FROM duckdb_views() WHERE database_name = 'source' AND NOT internal AND "
        f"schema_name IN {BI_SCHEMAS} ORDER BY schema_name, table_name").fetchall()
    column_comments: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for schema, table, column, comment in conn.execute(
            "SELECT schema_name, table_name, column_name, comment FROM duckdb_columns() WHERE "
            f"database_name = 'source' AND schema_name IN {BI_SCHEMAS} AND comment <> '' "
            "ORDER BY schema_name, table_name, column_index").fetchall():
        column_comments.setdefault((schema, table), []).append((column, comment))
    counts = {}
    for schema in sorted({schema for schema, _, _ in tables}):
        conn.execute(f"CREATE SCHEMA {ident(schema)}")
    for schema, table, comment in tables:
        name = qualified(schema, table)
        # CREATE TABLE AS answers with the rows it wrote: no second scan to count them.
        counts[f"{schema}.{table}"] = conn.execute(
            f"CREATE TABLE {name} AS SELECT * FROM source.{name}").fetchall()[0][0]
        if comment:
            conn.execute(f"COMMENT ON TABLE {name} IS {literal(comment)}")
        for column, column_comment in column_comments.get((schema, table), []):
            conn.execute(f"COMMENT ON COLUMN {name}.{ident(column)} IS "
                         f"{literal(column_comment)}")
    return counts


# Who did something in the warehouse (locked a month, approved an adjustment): staff, often
# written as an email. Readers see who, not how to reach them: the first letter and the
# domain ("c*****@example.com"); the build's own tables keep the full value for audit.
STAFF_IDENTITY_COLUMNS = ("locked_by", "approved_by")


def _mask_staff_identities(conn: duckdb.DuckDBPyConnection) -> None:
    columns = conn.execute(
        "SELECT schema_name, table_name, column_name FROM duckdb_columns() WHERE "
        "database_name = current_database() AND data_type = 'VARCHAR' AND column_name IN "
        f"{STAFF_IDENTITY_COLUMNS} ORDER BY ALL").fetchall()
    for schema, table, column in columns:
        name = ident(column)
        conn.execute(f"UPDATE {qualified(schema, table)} SET {name} = regexp_replace({name}, "
                     f"'^(.)[^@]*@', '\\1*****@') WHERE {name} LIKE '%@%'")


def _copy_load_summaries(conn: duckdb.DuckDBPyConnection) -> None:
    """What `sales-wh status` reports about loads, as of this build, from the attached
    `source`, so it never has to open the build's file (a reader there would block the next
    build): per entity the files, rows and newest load; the quarantine's reasons with their
    counts (no row contents); the locked payout periods."""
    # A load log from before rows could be skipped (profile only_rows_with) has no column.
    skipped = "sum(coalesce(log.rows_skipped, 0))" if conn.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE database_name = 'source' AND "
        "schema_name = 'audit' AND table_name = 'load_log' AND column_name = 'rows_skipped'"
    ).fetchall()[0][0] else "0"
    conn.execute(f"""
        CREATE TABLE serving.load_summary AS
        SELECT log.source || '/' || log.entity AS entity, count(*) AS files,
            sum(log.rows_read) AS rows_read, sum(log.rows_loaded) AS rows_loaded,
            sum(log.rows_quarantined) AS rows_quarantined,
            CAST({skipped} AS HUGEINT) AS rows_skipped, max(log.loaded_at) AS last_loaded_at
        FROM source.audit.load_log AS log WHERE log.status = 'loaded' GROUP BY 1 ORDER BY 1""")
    conn.execute("""
        CREATE TABLE serving.quarantine_reasons AS
        SELECT source || '/' || entity AS entity, reason, count(*) AS row_count
        FROM source.audit.quarantine GROUP BY ALL ORDER BY 3 DESC, 1, 2""")
    conn.execute("CREATE TABLE serving.period_locks (period VARCHAR, locked_by VARCHAR, "
                 "locked_at TIMESTAMP)")
    if conn.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = 'source' AND "
                    "schema_name = 'finance' AND table_name = 'period_locks'").fetchall()[0][0]:
        conn.execute("INSERT INTO serving.period_locks SELECT period, locked_by, locked_at "
                     "FROM source.finance.period_locks ORDER BY period")


def publish(warehouse: Path, home: Path, build_id: str, built_at: datetime) -> Published:
    """Copy the BI-facing tables of `warehouse` into a new published copy and Parquet files;
    raises PublishRefused (and leaves the previous copy) when they carry contact data."""
    started = time.perf_counter()
    target_dir = serving_dir(home)
    parquet_dir = target_dir / "parquet"
    target_dir.mkdir(parents=True, exist_ok=True)
    partial = target_dir / f".{PUBLISHED_NAME}.{os.getpid()}.part"
    partial.unlink(missing_ok=True)
    parquet_parts: list[tuple[Path, Path]] = []
    conn = duckdb.connect(str(partial))
    try:
        conn.execute("SET TimeZone = 'UTC'")
        conn.execute(f"ATTACH {literal(str(warehouse))} AS source (READ_ONLY)")
        tables = _copy_tables(conn)
        conn.execute("CREATE SCHEMA serving")
        _copy_load_summaries(conn)
        conn.execute("DETACH source")
        conn.execute("CREATE TABLE serving.build_info AS SELECT ?::VARCHAR AS build_id, "
                     "?::TIMESTAMP AS built_at, now()::TIMESTAMP AS published_at",
                     [build_id, built_at.replace(tzinfo=None)])
        conn.execute("CREATE TABLE serving.table_rows (table_name VARCHAR, row_count BIGINT)")
        conn.executemany("INSERT INTO serving.table_rows VALUES (?, ?)", sorted(tables.items()))
        _mask_staff_identities(conn)
        # The guarantee is checked on what readers will get, after masking.
        database = conn.execute("SELECT current_database()").fetchall()[0][0]
        leaks = contact_details(conn, (*BI_SCHEMAS, "serving"), database=database)
        if leaks:
            named = "; ".join(f"{s}.{t}.{c} ({n} rows, e.g. {e!r})" for s, t, c, n, e in leaks)
            raise PublishRefused(
                f"contact details in BI-facing columns: {named}. Mask or drop them in the "
                "model (they belong in staging); the previous published copy stays")
        serving_tables = [f"serving.{t}" for (t,) in conn.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'serving' AND "
            "database_name = current_database() ORDER BY 1").fetchall()]
        for name in [*tables, *serving_tables]:
            schema, table = name.split(".")
            final = parquet_dir / schema / f"{table}.parquet"
            part = final.with_name(f".{final.name}.{os.getpid()}.part")
            part.parent.mkdir(parents=True, exist_ok=True)
            conn.execute(f"COPY {qualified(schema, table)} TO {literal(str(part))} "
                         "(FORMAT parquet, COMPRESSION zstd)")
            parquet_parts.append((part, final))
        preview = _preview(conn) if "marts.mart_region_kpis" in tables else ""
        conn.execute("CHECKPOINT")
    except BaseException:
        conn.close()
        partial.unlink(missing_ok=True)
        for part, _ in parquet_parts:
            part.unlink(missing_ok=True)
        raise
    conn.close()
    fsync_path(partial)
    os.replace(partial, published_path(home))
    for part, final in parquet_parts:
        os.replace(part, final)
    _drop_stale_parquet(parquet_dir, {final for _, final in parquet_parts})
    return Published(build_id, published_path(home), tables, parquet_dir,
                     time.perf_counter() - started, preview)


def _preview(conn: duckdb.DuckDBPyConnection) -> str:
    """The last three months of mart_region_kpis: what a person checks first."""
    rows = conn.execute(
        "SELECT strftime(month, '%Y-%m'), region, net_revenue, attainment, win_rate "
        "FROM marts.mart_region_kpis WHERE month >= (SELECT max(month) FROM "
        "marts.mart_region_kpis) - INTERVAL 2 MONTH ORDER BY month DESC, region").fetchall()
    lines = ["| month | region | net revenue | attainment | win rate |",
             "|---|---|---:|---:|---:|"]
    for month, region, revenue, attainment, win_rate in rows:
        lines.append(f"| {month} | {region} | {revenue:,.2f} | "
                     f"{'' if attainment is None else f'{attainment:.0%}'} | "
                     f"{'' if win_rate is None else f'{win_rate:.0%}'} |")
    return "\n".join(lines)


def _drop_stale_parquet(parquet_dir: Path, current: set[Path]) -> None:
    """A table that is no longer published loses its Parquet file too."""
    for path in parquet_dir.glob("*/*.parquet"):
        if path not in current:
            path.unlink()


def published_build(home: Path) -> tuple[str, datetime, datetime] | None:
    """(build id, built at, published at) of the published copy, or None."""
    path = published_path(home)
    if not path.exists():
        return None
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.execute("SELECT build_id, built_at, published_at FROM serving.build_info"
                            ).fetchall()[0]
