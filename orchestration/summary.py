"""What a build left in the warehouse, for the command line's closing summary."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

REPORTED_SCHEMAS = ("raw", "audit", "staging", "intermediate", "marts", "forecast", "finance")


@dataclass(frozen=True)
class TableCount:
    schema: str
    table: str
    rows: int


@contextmanager
def _open_when_free(warehouse: Path, seconds: float = 30.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection; waits while a writer that is finishing (a dbt process that
    failed a moment ago) still holds the file."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            conn = duckdb.connect(str(warehouse), read_only=True)
            break
        except duckdb.IOException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    try:
        yield conn
    finally:
        conn.close()


def table_counts(warehouse: Path) -> list[TableCount]:
    if not warehouse.exists():
        return []
    with _open_when_free(warehouse) as conn:
        tables = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_catalog = current_database() AND table_schema IN "
            f"({', '.join(repr(s) for s in REPORTED_SCHEMAS)}) ORDER BY 1, 2"
        ).fetchall()
        counts = []
        for schema, table in tables:
            rows = conn.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchall()[0][0]
            counts.append(TableCount(schema, table, int(rows)))
    return counts


def format_counts(counts: list[TableCount]) -> list[str]:
    lines = []
    for schema in REPORTED_SCHEMAS:
        in_schema = [c for c in counts if c.schema == schema]
        if not in_schema:
            continue
        total = sum(c.rows for c in in_schema)
        lines.append(f"  {schema:<13} {len(in_schema):>3} tables {total:>13,} rows")
        if schema in ("marts", "audit"):
            lines += [f"    {c.table:<40} {c.rows:>13,}" for c in in_schema]
    return lines
