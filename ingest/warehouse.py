"""The warehouse file: connections, schemas and the tables ingest owns (raw.*, audit.*)."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from ingest.contracts import ENTITIES, SQL_TYPES, Entity
from ingest.sql import ident, literal, qualified

# The schemas ingest writes. Each other schema is created by what fills it (dbt, payouts,
# forecasts), so a reader never finds an empty schema that only promises tables.
SCHEMAS = ("raw", "audit")

# Columns every raw table carries after the contract columns: where the row came from.
RAW_METADATA_COLUMNS = (
    ("_extra", "JSON"),  # columns the file had beyond the contract, kept rather than dropped
    ("_source_file", "VARCHAR"),  # path relative to the landing folder
    ("_source_line", "BIGINT"),  # line of the record in that file (the header is line 1)
    ("_load_id", "BIGINT"),  # audit.load_log.load_id: later loads are newer versions
    ("_loaded_at", "TIMESTAMP"),
    ("_row_hash", "VARCHAR"),  # md5 of the record's raw text
)

AUDIT_DDL = (
    """
    CREATE TABLE IF NOT EXISTS audit.load_log (
        load_id BIGINT PRIMARY KEY,
        file_path VARCHAR NOT NULL,
        content_hash VARCHAR NOT NULL,
        source VARCHAR NOT NULL,
        entity VARCHAR NOT NULL,
        file_bytes BIGINT,
        rows_read BIGINT NOT NULL,
        rows_loaded BIGINT NOT NULL,
        rows_quarantined BIGINT NOT NULL,
        status VARCHAR NOT NULL,
        message VARCHAR,
        seconds DOUBLE,
        loaded_at TIMESTAMP NOT NULL,
        -- The profile mapping the file was read with (see loader.mapping_fingerprint): a load
        -- is the file's bytes *and* how they were read, so an edited profile reloads it.
        mapping_hash VARCHAR
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS audit.quarantine (
        load_id BIGINT NOT NULL,
        file_path VARCHAR NOT NULL,
        source VARCHAR NOT NULL,
        entity VARCHAR NOT NULL,
        line_number BIGINT NOT NULL,
        column_name VARCHAR,
        reason VARCHAR NOT NULL,
        raw_record VARCHAR,
        quarantined_at TIMESTAMP NOT NULL
    )
    """,
)


# DuckDB's memory for each warehouse connection (and dbt's, through its profile). DuckDB's
# own default is 80 % of the machine, which a 10 M-line build used; within a limit it spills
# to `<warehouse>.tmp` beside the file instead.
MEMORY_LIMIT_ENV = "SALES_WH_DUCKDB_MEMORY_LIMIT"


def memory_limit() -> str:
    """$SALES_WH_DUCKDB_MEMORY_LIMIT (e.g. `4GB`), else a tenth of the machine's memory,
    at least 1 GiB and at most 2 GiB."""
    chosen = os.environ.get(MEMORY_LIMIT_ENV, "").strip()
    if chosen:
        return chosen
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return f"{min(max(total // 10 // 2**20, 1024), 2048)}MiB"


@contextmanager
def connect(path: Path | str, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse; always closed on exit, so the single writer slot is released."""
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    conn = duckdb.connect(str(path), read_only=read_only)
    try:
        conn.execute("SET TimeZone = 'UTC'")
        conn.execute(f"SET memory_limit = {literal(memory_limit())}")
        yield conn
    finally:
        conn.close()


def rollback(conn: duckdb.DuckDBPyConnection) -> None:
    """ROLLBACK after a failed statement inside a transaction. A statement interrupted by
    Ctrl-C or SIGTERM has already ended the transaction, and a second error here would hide
    the interruption (the build then failed instead of stopping cleanly)."""
    with contextlib.suppress(duckdb.TransactionException):  # nothing left to roll back
        conn.execute("ROLLBACK")


@contextmanager
def in_transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """BEGIN ... COMMIT, or ROLLBACK on any error, letting the error itself through (the
    ROLLBACK after a failed COMMIT has no transaction left to end)."""
    conn.execute("BEGIN TRANSACTION")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise


def write_problem(path: Path | str) -> str | None:
    """Why this process cannot write the warehouse file, in words an operator can act on, or
    None. Asked before a build starts, so that one clear line replaces a failure per step."""
    path = Path(path)
    try:
        with connect(path):
            return None
    except duckdb.IOException as exc:
        detail = str(exc).strip().splitlines()[0]
        holder = re.search(r"Conflicting lock is held in (.+?) \(PID (\d+)\)", detail)
        if holder:
            return (f"the warehouse {path} is open in another process (PID {holder.group(2)}, "
                    f"{holder.group(1)}); a writer needs it alone (a BI tool reading it directly "
                    "blocks builds). Close that connection, then build again")
        return (f"cannot write the warehouse {path}: {detail.rsplit(': ', 1)[-1]}. Make the "
                "file and its folder writable by this user (chmod u+w; chattr -i), or build "
                "into another --home")


def ensure_ingest_tables(conn: duckdb.DuckDBPyConnection) -> None:
    for schema in SCHEMAS:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {ident(schema)}")
    for ddl in AUDIT_DDL:
        conn.execute(ddl)
    # A warehouse from before mappings were part of a load's identity: its loads have none,
    # so each file reloads once, read with today's profile, and supersedes its old load.
    conn.execute("ALTER TABLE audit.load_log ADD COLUMN IF NOT EXISTS mapping_hash VARCHAR")
    # Rows a profile says are not records of the entity (only_rows_with); after mapping_hash
    # in new and older warehouses alike.
    conn.execute("ALTER TABLE audit.load_log ADD COLUMN IF NOT EXISTS rows_skipped BIGINT "
                 "DEFAULT 0")
    for entity in ENTITIES:
        ensure_raw_table(conn, entity)


def raw_columns(entity: Entity) -> list[tuple[str, str]]:
    """(name, SQL type) of every column of the entity's raw table, in order: the contract's,
    the metadata, then the local date of each timestamp (last, so that a warehouse created
    before they existed gains them in the same order; see ensure_raw_table)."""
    columns = [(c.name, SQL_TYPES[c.kind]) for c in entity.columns]
    columns += list(RAW_METADATA_COLUMNS)
    columns += [(local, "DATE") for _, local in entity.local_dates]
    return columns


def raw_table_ddl(entity: Entity) -> str:
    columns = [f"{ident(name)} {sql_type}" for name, sql_type in raw_columns(entity)]
    return (
        f"CREATE TABLE IF NOT EXISTS {qualified('raw', entity.table)} (\n    "
        + ",\n    ".join(columns)
        + "\n)"
    )


def ensure_raw_table(conn: duckdb.DuckDBPyConnection, entity: Entity) -> None:
    conn.execute(raw_table_ddl(entity))
    present = {name for (name,) in conn.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = 'raw' AND table_name = ?", [entity.table]).fetchall()}
    table = qualified("raw", entity.table)
    for column in entity.columns:
        if column.name not in present:
            # An optional column the contract gained after this warehouse was made: empty
            # for the rows loaded before.
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {ident(column.name)} "
                         f"{SQL_TYPES[column.kind]}")
    for stamp, local in entity.local_dates:
        if local not in present:
            # A warehouse from before local dates: rows loaded then were read in UTC, so their
            # UTC date is their local date.
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {ident(local)} DATE")
            conn.execute(f"UPDATE {table} SET {ident(local)} = CAST({ident(stamp)} AS DATE)")
