"""What a build left in the warehouse, for the command line's closing summary."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ingest.warehouse import connect

REPORTED_SCHEMAS = ("raw", "audit", "staging", "intermediate", "marts", "forecast", "finance")


@dataclass(frozen=True)
class TableCount:
    schema: str
    table: str
    rows: int


def table_counts(warehouse: Path) -> list[TableCount]:
    if not warehouse.exists():
        return []
    with connect(warehouse, read_only=True) as conn:
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
