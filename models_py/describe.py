"""Table descriptions for the tables Python writes (finance, forecast), as DuckDB comments:
BI tools show them beside the dbt marts' own (which dbt's persist_docs writes)."""

from __future__ import annotations

import duckdb


def describe_tables(conn: duckdb.DuckDBPyConnection, descriptions: dict[str, str]) -> None:
    for table, text in descriptions.items():
        conn.execute(f"COMMENT ON TABLE {table} IS '{text.replace(chr(39), chr(39) * 2)}'")
