"""Hold back a day's deliveries: the newest share of orders leaves the landing files, to be
delivered later as `<entity>/2026-11-01.csv` (bench/run.py's "1 % new files" case).

The newest orders by date (and their lines, returns and payments) are cut out of the generated
exports with DuckDB, values kept as text, so the base landing plus the held-back files hold
exactly the generated rows.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

DAY_FILE = "2026-11-01.csv"
ORDER_ENTITIES = ("orders", "order_lines", "returns", "payments", "shipments")


def hold_back(landing: Path, held: Path, fraction: float) -> int:
    """Move the newest `fraction` of orders out of `landing` into `held` (same layout);
    returns the number of order lines held back."""
    conn = duckdb.connect()
    try:
        def files(entity: str) -> list[Path]:
            return sorted((landing / "orders" / entity).glob("*.csv"))

        def read(entity: str) -> str:
            paths = ", ".join(f"'{p}'" for p in files(entity))
            return f"read_csv([{paths}], all_varchar = true, header = true)"

        conn.execute(f"""
            CREATE TEMP TABLE held AS
            SELECT order_id FROM {read('orders')}
            QUALIFY row_number() OVER (ORDER BY order_date DESC, order_id DESC)
                <= ceil(count(*) OVER () * {fraction})
        """)
        held_lines = 0
        for entity in ORDER_ENTITIES:
            if not files(entity):
                continue
            source = read(entity)
            (held / "orders" / entity).mkdir(parents=True, exist_ok=True)
            target = held / "orders" / entity / DAY_FILE
            copied = conn.execute(
                f"COPY (SELECT * FROM {source} WHERE order_id IN (SELECT order_id FROM held)) "
                f"TO '{target}' (HEADER, DELIMITER ',')").fetchall()[0][0]
            if entity == "order_lines":
                held_lines = int(copied)
            conn.execute(f"CREATE OR REPLACE TEMP TABLE kept AS SELECT * FROM {source} "
                         "WHERE order_id NOT IN (SELECT order_id FROM held)")
            base = files(entity)[0].name  # the generated file's name (one per entity)
            for path in files(entity):
                path.unlink()
            conn.execute(f"COPY kept TO '{landing / 'orders' / entity / base}' "
                         "(HEADER, DELIMITER ',')")
        return held_lines
    finally:
        conn.close()
