"""Readers: one export file → a temporary DuckDB table of text columns, in file order.

DuckDB's readers do the parsing (vectorised, multi-threaded); every column is read as text so
that typing and validation happen in one place (`ingest.values`) with reasons per field.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ingest.sql import ident, literal

CSV_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".txt")
JSONL_SUFFIXES = (".jsonl", ".ndjson")
PARQUET_SUFFIXES = (".parquet",)
ACCEPTED_SUFFIXES = CSV_SUFFIXES + JSONL_SUFFIXES + PARQUET_SUFFIXES
IN_PROGRESS_SUFFIXES = (".part", ".tmp")


class UnreadableFile(Exception):
    """The file cannot be parsed at all; the message names the file and the problem."""


def file_format(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    if name.endswith(JSONL_SUFFIXES):
        return "jsonl"
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    return None


def _scan_sql(path: Path, fmt: str) -> str:
    location = literal(str(path))
    if fmt == "csv":
        return f"read_csv({location}, all_varchar = true, header = true)"
    if fmt == "jsonl":
        return f"read_json({location}, format = 'newline_delimited')"
    return f"read_parquet({location})"


def read_into_temp_table(
    conn: duckdb.DuckDBPyConnection, path: Path, table: str, display_path: str
) -> list[str]:
    """Create TEMP `table` with the file's rows as text; return the file's column names.

    Row order is the file's order (DuckDB preserves insertion order), so `rowid` + 2 is the
    record's line in a CSV with a header.
    """
    fmt = file_format(path)
    if fmt is None:
        raise UnreadableFile(
            f"{display_path}: unsupported file type; deliver one of {', '.join(ACCEPTED_SUFFIXES)}"
        )
    try:
        columns = [
            row[0] for row in conn.execute(f"DESCRIBE SELECT * FROM {_scan_sql(path, fmt)}")
            .fetchall()
        ]
        as_text = ", ".join(f"CAST({ident(c)} AS VARCHAR) AS {ident(c)}" for c in columns)
        conn.execute(
            f"CREATE OR REPLACE TEMP TABLE {ident(table)} AS "
            f"SELECT {as_text} FROM {_scan_sql(path, fmt)}"
        )
    except duckdb.Error as exc:
        first_line = str(exc).strip().splitlines()[0]
        raise UnreadableFile(f"{display_path}: cannot be read as {fmt}: {first_line}") from exc
    return columns
