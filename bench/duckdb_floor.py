"""The floor: DuckDB alone loading every CSV export of a landing folder into tables.

    uv run python bench/duckdb_floor.py --landing L --db /tmp/floor.duckdb

What `sales-wh build` adds on top of this (contracts, quarantine, lineage, dbt models, checks,
payouts, publishing) is what bench/run.py's "cost per 1 M order lines" row compares against.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import duckdb


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--landing", required=True)
    args.add_argument("--db", required=True)
    options = args.parse_args()
    Path(options.db).unlink(missing_ok=True)
    conn = duckdb.connect(options.db)
    try:
        rows = 0
        for folder in sorted(p for p in Path(options.landing).glob("*/*") if p.is_dir()):
            files = sorted(folder.glob("*.csv"))
            if not files:
                continue
            table = f"{folder.parent.name}__{folder.name}"
            paths = ", ".join(f"'{p}'" for p in files)
            conn.execute(f'CREATE TABLE "{table}" AS SELECT * FROM read_csv([{paths}], '
                         "header = true, union_by_name = true)")
            rows += conn.execute(f'SELECT count(*) FROM "{table}"').fetchall()[0][0]
        print(f"rows={rows}")
    finally:
        conn.close()


if __name__ == "__main__":
    main()
