"""Table and column descriptions for the tables Python writes (finance, forecast), as DuckDB
comments: BI tools show them beside the dbt marts' own (which dbt's persist_docs writes)."""

from __future__ import annotations

import duckdb

from ingest.sql import ident, literal


def describe_tables(conn: duckdb.DuckDBPyConnection, descriptions: dict[str, str]) -> None:
    for table, text in descriptions.items():
        conn.execute(f"COMMENT ON TABLE {table} IS {literal(text)}")


def describe_columns(conn: duckdb.DuckDBPyConnection, table: str,
                     descriptions: dict[str, str]) -> None:
    """COMMENT ON COLUMN for each described column the table has (a column a later version
    drops is skipped, not an error)."""
    schema, name = table.split(".")
    present = {c for (c,) in conn.execute(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? "
        "AND database_name = current_database()", [schema, name]).fetchall()}
    for column, text in descriptions.items():
        if column in present:
            conn.execute(f"COMMENT ON COLUMN {table}.{ident(column)} IS {literal(text)}")
