"""An incremental build equals a full rebuild of the same files, table for table.

The order-line models (stg_orders__order_lines, int_order_lines, fct_order_lines) keep their
rows between builds and recompute only the orders new loads touched. Here a warehouse goes
through a retraction (which rebuilds them whole) and then a delivery that is handled order by
order: a new order that becomes an account's first (so the account's old first order stops
being a new-customer order), a late update cancelling an old order, a new version of an old
order's line, a new return and a return moved to another order. A copy of that warehouse
rebuilt with --full-refresh must hold exactly the same rows in every table.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.warehouse import connect
from orchestration.cli import main
from orchestration.settings import DBT_PROJECT_DIR
from synthetic.generate import generate

pytestmark = pytest.mark.e2e

DAY1 = "2026-10-31.csv"  # the generated files' name
DAY2 = "2026-11-01.csv"
COMPARED_SCHEMAS = ("staging", "intermediate", "marts", "finance")


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write(path: Path, header: list[str], records: list[dict[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(records)


def deliver_day_two(landing: Path) -> dict[str, str]:
    """Write the second day's order files; returns the orders each case is about."""
    orders = rows(landing / "orders/orders" / DAY1)
    lines = rows(landing / "orders/order_lines" / DAY1)
    returns = rows(landing / "orders/returns" / DAY1)
    with_lines = {line["order_id"] for line in lines}
    delivered = [o for o in orders if o["status"] == "delivered" and o["order_id"] in with_lines]
    # An account's first order (earliest non-cancelled), which the new order will precede.
    by_account: dict[str, dict[str, str]] = {}
    for order in sorted(delivered, key=lambda o: (o["order_date"], o["order_id"])):
        by_account.setdefault(order["account_id"], order)
    first = next(iter(by_account.values()))
    cancelled = next(o for o in delivered if o["order_id"] != first["order_id"])
    changed_line = next(line for line in lines
                        if line["order_id"] not in (first["order_id"], cancelled["order_id"]))
    moved = returns[0]
    target = next(line for line in lines if line["order_id"] not in (
        moved["order_id"], first["order_id"], cancelled["order_id"]))
    new_order = {**first, "order_id": "SO999000001",
                 "order_date": "2024-01-15", "updated_at": "2024-01-15 10:00:00"}
    late_update = {**cancelled, "status": "cancelled", "updated_at": "2026-11-01 09:00:00"}
    write(landing / "orders/orders" / DAY2, list(orders[0]), [new_order, late_update])
    write(landing / "orders/order_lines" / DAY2, list(lines[0]), [
        {**lines[0], "order_id": "SO999000001", "line_no": "1", "quantity": "3"},
        {**lines[1], "order_id": "SO999000001", "line_no": "2", "quantity": "1"},
        {**changed_line, "quantity": str(int(changed_line["quantity"]) + 2)},
    ])
    write(landing / "orders/returns" / DAY2, list(returns[0]), [
        {"return_id": "RT99000001", "order_id": "SO999000001", "line_no": "1",
         "returned_at": "2024-02-01 08:00:00", "quantity": "1", "reason": "damaged"},
        # A return recorded against the wrong order, moved: its old order loses it.
        {**moved, "order_id": target["order_id"], "line_no": target["line_no"],
         "quantity": "1"},
    ])
    return {"first": first["order_id"], "cancelled": cancelled["order_id"],
            "moved_from": moved["order_id"]}


def tables(warehouse: Path) -> dict[str, list[tuple]]:
    """Every table of the compared schemas: its columns and types, then its rows sorted
    (all but a payout table's run id)."""
    out = {}
    with connect(warehouse, read_only=True) as conn:
        names = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema IN ? AND table_type = 'BASE TABLE' ORDER BY 1, 2",
            [list(COMPARED_SCHEMAS)]).fetchall()
        for schema, name in names:
            columns = conn.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
                [schema, name]).fetchall()
            # The payout tables name the run that computed them: another run, same numbers.
            exclude = " EXCLUDE (run_id)" if ("run_id", "VARCHAR") in columns else ""
            data = conn.execute(f'SELECT *{exclude} FROM "{schema}"."{name}"').fetchall()
            out[f"{schema}.{name}"] = [tuple(columns), *sorted(data, key=repr)]
    return out


def test_an_incremental_build_equals_a_full_rebuild_table_for_table(tmp_path):
    landing, home = tmp_path / "landing", tmp_path / "home"
    generate(landing, scale=0.002, seed=7)
    assert main(["build", "--landing", str(landing), "--home", str(home)]) == 0

    # A retraction: the returns file was wrong. It is taken back and delivered corrected (its
    # last return dropped); the order-line models are rebuilt whole for it.
    returns_file = landing / "orders/returns" / DAY1
    corrected = rows(returns_file)[:-1]
    assert main(["retract", returns_file.relative_to(landing).as_posix(),
                 "--home", str(home)]) == 0
    write(returns_file, list(corrected[0]), corrected)
    assert main(["build", "--landing", str(landing), "--home", str(home)]) == 0

    # The next day's files are brought in order by order.
    cases = deliver_day_two(landing)
    assert main(["build", "--landing", str(landing), "--home", str(home)]) == 0

    # The delivery went order by order: the compiled model reads only the touched orders.
    compiled = next((home / "dbt_target" / "compiled").rglob("fct_order_lines.sql")).read_text()
    assert "_load_id >" in compiled, "fct_order_lines was rebuilt whole, not incrementally"
    with connect(home / "warehouse.duckdb", read_only=True) as conn:
        flags = dict(conn.execute(
            "SELECT order_id, bool_or(is_new_customer_order) FROM marts.fct_order_lines "
            "WHERE order_id IN (?, ?) GROUP BY 1", ["SO999000001", cases["first"]]).fetchall())
        cancelled = conn.execute(
            "SELECT bool_and(is_cancelled), sum(net_revenue) FROM marts.fct_order_lines "
            "WHERE order_id = ?", [cases["cancelled"]]).fetchall()[0]
    assert flags == {"SO999000001": True, cases["first"]: False}
    assert cancelled[0] is True and cancelled[1] == 0
    incremental = tables(home / "warehouse.duckdb")

    full = tmp_path / "full"
    shutil.copytree(home, full, ignore=shutil.ignore_patterns("dagster", "build.lock"))
    assert main(["build", "--landing", str(landing), "--home", str(full),
                 "--full-refresh"]) == 0
    rebuilt = tables(full / "warehouse.duckdb")

    assert sorted(incremental) == sorted(rebuilt)
    different = [name for name in rebuilt if incremental[name] != rebuilt[name]]
    assert different == [], different
    # Every distinct line is there once: the day-two files add two lines and a new version.
    line_files = (landing / "orders/order_lines").glob("*.csv")
    assert len(rebuilt["marts.fct_order_lines"]) - 1 == sum(len(rows(p)) for p in line_files) - 1

    # A model built without its parents (a subset run: one asset from the UI, `dbt build -s`)
    # may have read stale parents: it forgets what it had seen, so the next build replaces
    # its rows whole.
    dbt = Path(sys.executable).parent / "dbt"
    env = {**os.environ, "SALES_WH_WAREHOUSE": str(full / "warehouse.duckdb")}
    done = subprocess.run([str(dbt), "run", "-s", "fct_order_lines", "--profiles-dir", ".",
                           "--target-path", str(tmp_path / "dbt_target")],
                          cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:]
    with connect(full / "warehouse.duckdb", read_only=True) as conn:
        remembered = {m for (m,) in conn.execute(
            "SELECT model FROM audit.dbt_increments").fetchall()}
    assert remembered == {"stg_orders__order_lines", "int_order_lines"}
