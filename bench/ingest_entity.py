"""Load one entity of a landing folder into a fresh warehouse; print rows and load seconds.

    uv run python bench/ingest_entity.py --landing L --db /tmp/w.duckdb --entity orders/order_lines
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from ingest.contracts import entity
from ingest.landing import ingest_entity
from ingest.warehouse import connect


def main() -> None:
    args = argparse.ArgumentParser()
    args.add_argument("--landing", required=True)
    args.add_argument("--db", required=True)
    args.add_argument("--entity", default="orders/order_lines")
    options = args.parse_args()
    source, name = options.entity.split("/")
    Path(options.db).unlink(missing_ok=True)
    started = time.perf_counter()
    with connect(options.db) as conn:
        outcome = ingest_entity(conn, Path(options.landing), entity(source, name))
    seconds = time.perf_counter() - started
    rows = outcome.total("rows_read")
    print(f"rows_read={rows} rows_loaded={outcome.total('rows_loaded')} "
          f"load_seconds={seconds:.2f} rows_per_second={rows / seconds:.0f}")


if __name__ == "__main__":
    main()
