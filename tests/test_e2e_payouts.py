"""Commission payouts on the built sample company: one rep's commission recomputed here from
the landing files and the plan text, the checks, locking, and a locked period that does not
move when a return arrives for it later (the change is clawed back in the first open month)."""

from __future__ import annotations

import csv
import shutil
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from ingest.warehouse import connect
from models_py.payouts.pipeline import build_payouts
from models_py.payouts.store import LockError, lock_period

pytestmark = pytest.mark.e2e

BANDS = [(Decimal("0"), Decimal("0.5"), Decimal("0")), (Decimal("0.5"), Decimal("1"),
                                                         Decimal("0.05")),
         (Decimal("1"), Decimal("1.5"), Decimal("0.08")), (Decimal("1.5"), None, Decimal("0.10"))]


def rows(folder: Path) -> list[dict[str, str]]:
    out = []
    for path in sorted(folder.glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            out += list(csv.DictReader(handle))
    return out


def credit_from_files(landing: Path, rep: str, month: str) -> Decimal:
    """The rep's credit for the month, from the files: latest version of each order, not
    cancelled; qty x price - discount in USD at the order date's EUR rate (carried over
    weekends); minus returns within 90 days of the order (ae_standard's window)."""
    orders = {}
    for order in sorted(rows(landing / "orders/orders"), key=lambda o: o["updated_at"]):
        orders[order["order_id"]] = order
    rates = sorted((r["rate_date"], Decimal(r["rate_to_reporting"]))
                   for r in rows(landing / "plan/fx_rates") if r["currency"] == "EUR")

    def usd(amount: Decimal, currency: str, day: str) -> Decimal:
        if currency == "USD":
            return amount
        return amount * [rate for d, rate in rates if d <= day][-1]

    mine = {k: o for k, o in orders.items() if o["rep_id"] == rep
            and o["order_date"].startswith(month) and o["status"] != "cancelled"}
    lines = {(ln["order_id"], ln["line_no"]): ln for ln in rows(landing / "orders/order_lines")
             if ln["order_id"] in mine}
    credit = Decimal(0)
    for (order_id, _), ln in lines.items():
        net = Decimal(ln["quantity"]) * Decimal(ln["unit_price"]) - Decimal(
            ln["discount_amount"] or "0")
        credit += usd(net, mine[order_id]["currency"], mine[order_id]["order_date"])
    for ret in rows(landing / "orders/returns"):
        ln = lines.get((ret["order_id"], ret["line_no"]))
        if ln is None:
            continue
        order = mine[ret["order_id"]]
        days = (datetime.fromisoformat(ret["returned_at"]).date()
                - date.fromisoformat(order["order_date"])).days
        if days <= 90:
            net = Decimal(ln["quantity"]) * Decimal(ln["unit_price"]) - Decimal(
                ln["discount_amount"] or "0")
            value = net * Decimal(ret["quantity"]) / Decimal(ln["quantity"])
            credit -= usd(value, order["currency"], order["order_date"])
    return credit


def marginal(credit: Decimal, quota: Decimal) -> Decimal:
    total = Decimal(0)
    for low, high, rate in BANDS:
        top = credit if high is None else min(credit, high * quota)
        if top > low * quota:
            total += ((top - low * quota) * rate).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return total


def test_an_ae_commission_matches_the_plan_applied_to_the_files(built_home, small_landing):
    with connect(built_home / "warehouse.duckdb", read_only=True) as conn:
        # The AE month of 2025 (plan ae_standard 2025.1) with the most credit.
        rep, period, quota, commission, credit = conn.execute(
            "SELECT rep_id, period, quota, commission, credit FROM finance.commission_payouts "
            "WHERE plan_id = 'ae_standard' AND period BETWEEN '2025-01' AND '2025-12' "
            "AND quota IS NOT NULL ORDER BY credit DESC, rep_id LIMIT 1").fetchall()[0]
        checks = conn.execute("SELECT count(*) FROM finance.commission_exceptions "
                              "WHERE is_blocking").fetchall()[0][0]
    quotas = {(q["rep_id"], q["period"]): Decimal(q["quota_amount"])
              for q in rows(small_landing / "plan/quotas")}
    expected_credit = credit_from_files(small_landing, rep, period)
    assert round(credit, 6) == round(expected_credit, 6)
    assert quota == quotas[(rep, period)]
    assert commission == marginal(expected_credit, quota)
    assert checks == 0


def test_locking_freezes_a_period_and_a_late_return_is_clawed_back(built_home, small_landing,
                                                                   tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(built_home / "warehouse.duckdb", warehouse)
    plans = small_landing / "plan" / "commission_plans"
    with connect(warehouse) as conn:
        first = conn.execute("SELECT min(period) FROM finance.commission_payouts").fetchall()[0][0]
        with pytest.raises(LockError, match="still open: lock periods in order"):
            lock_period(conn, "2025-03")
        done = lock_period(conn, first, lock_run_id="test", who="finance@example.com")
        assert done["locked_by"] == "finance@example.com" and done["lines"] > 0
        with pytest.raises(LockError, match="already locked"):
            lock_period(conn, first)
        before = conn.execute("SELECT * FROM finance.commission_payout_lines WHERE period = ? "
                              "ORDER BY ALL", [first]).fetchall()
        # Later, a return arrives inside the window for the biggest line of an AE's order in
        # the locked month: all its units come back.
        order, line, quantity, rep, day, value, credit, quota, locked = conn.execute(
            "SELECT f.order_id, f.line_no, f.quantity, f.rep_id, f.order_date, "
            "f.net_amount * f.rate_to_reporting, p.credit, p.quota, p.commission "
            "FROM marts.fct_order_lines f JOIN finance.locked_payouts p "
            "ON p.rep_id = f.rep_id AND p.period = strftime(f.order_date, '%Y-%m') "
            "WHERE p.plan_id = 'ae_standard' AND p.quota IS NOT NULL "
            "AND f.returned_quantity = 0 AND NOT f.is_cancelled "
            "ORDER BY f.net_amount * f.rate_to_reporting DESC LIMIT 1").fetchall()[0]
        conn.execute("INSERT INTO staging.stg_orders__returns (return_id, order_id, line_no, "
                     "returned_at, returned_date, quantity) VALUES ('RT-LATE', ?, ?, ?, ?, ?)",
                     [order, line, datetime(day.year, day.month, day.day, 12), day, quantity])
        run = build_payouts(conn, plans, "USD", "rebuild")
        after = conn.execute("SELECT * FROM finance.commission_payout_lines WHERE period = ? "
                             "ORDER BY ALL", [first]).fetchall()
        claws = conn.execute("SELECT period, source_ref, amount FROM "
                             "finance.commission_payout_lines WHERE line_type = 'clawback' "
                             "AND rep_id = ?", [rep]).fetchall()
        second = conn.execute("SELECT min(period) FROM finance.commission_payouts "
                              "WHERE period > ?", [first]).fetchall()[0][0]
    assert after == before  # byte for byte, the locking run's id included
    assert all(c.passed for c in run.checks), [c.problems for c in run.checks]
    # Clawed back in the first open month: the plan on the credit without the line, minus
    # what was locked.
    assert claws == [(second, f"{first}:{order}", marginal(credit - value, quota) - locked)]
    assert claws[0][2] < 0


def test_lock_by_the_cli_writes_final_exports_finance_can_sum(built_home, tmp_path, capsys):
    """`sales-wh lock-period` runs the Dagster lock job and writes the month's final files:
    CSVs and an XLSX whose money cells are numbers, and a statement per rep."""
    from openpyxl import load_workbook

    from orchestration.cli import main

    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(built_home / "warehouse.duckdb", home / "warehouse.duckdb")
    with connect(home / "warehouse.duckdb", read_only=True) as conn:
        first = conn.execute("SELECT min(period) FROM finance.commission_payouts").fetchall()[0][0]
        reps, total = conn.execute("SELECT count(*), sum(total_payable) FROM "
                                   "finance.commission_payouts WHERE period = ?",
                                   [first]).fetchall()[0]
    assert main(["lock-period", first, "--home", str(home), "--by", "cfo@example.com"]) == 0
    said = capsys.readouterr().out
    assert f"locked {first} by cfo@example.com" in said and f"total payable {total}" in said
    folder = home / "exports" / "finance" / first
    summary = list(csv.DictReader((folder / f"payouts_{first}.csv").open(encoding="utf-8")))
    lines = list(csv.DictReader((folder / f"payout_lines_{first}.csv").open(encoding="utf-8")))
    assert len(summary) == reps and {r["status"] for r in summary} == {"locked"}
    assert sum(Decimal(r["total_payable"]) for r in summary) == total
    assert sum(Decimal(r["amount"]) for r in lines) == total
    book = load_workbook(folder / f"payouts_{first}.xlsx")
    assert book.sheetnames == ["summary", "lines"]
    header = [c.value for c in book["summary"][1]]
    cells = [row[header.index("total_payable")] for row in book["summary"].iter_rows(min_row=2)]
    assert all(isinstance(c.value, (int, float)) and c.number_format == "#,##0.00"
               for c in cells)
    assert round(sum(Decimal(str(c.value)) for c in cells), 2) == total
    pages = sorted(p.stem for p in (folder / "statements").glob("*.html"))
    assert pages == sorted(r["rep_id"] for r in summary)
    some = summary[0]
    page = (folder / "statements" / f"{some['rep_id']}.html").read_text(encoding="utf-8")
    assert f"{Decimal(some['total_payable']):,.2f}" in page and "final (locked)" in page
    assert not list(folder.rglob("*.part"))
    # Locking again is refused, in one line.
    assert main(["lock-period", first, "--home", str(home)]) == 1
    assert "already locked" in capsys.readouterr().err
