"""The payouts' tables in the warehouse: reading the engine's inputs from the marts, writing
`finance.*`, and locking a period. DuckDB only, no Dagster.

Locked periods live in their own tables (`finance.locked_payout_lines`, `locked_payouts`,
`locked_credits`), copied once when the period is locked and never written again: a build
copies their rows into the published tables verbatim, so a locked period reproduces byte for
byte however its inputs change later (the change becomes clawbacks in the first open period).
"""

from __future__ import annotations

import getpass
import os
from datetime import date
from decimal import Decimal

import duckdb

from ingest.warehouse import rollback
from models_py.describe import describe_columns, describe_tables
from models_py.payouts.engine import (
    Adjustment,
    Credit,
    Inputs,
    Line,
    NewCustomer,
    RepMonth,
    Result,
    Return,
    payouts,
)
from models_py.payouts.plans import PlanVersion

LINE_COLUMNS = """
    run_id VARCHAR NOT NULL,
    plan_id VARCHAR NOT NULL,
    plan_version VARCHAR NOT NULL,
    rep_id VARCHAR NOT NULL,
    period VARCHAR NOT NULL,
    line_type VARCHAR NOT NULL,
    source_ref VARCHAR NOT NULL,
    basis_amount DECIMAL(38,12),
    rate DECIMAL(18,8),
    amount DECIMAL(18,2) NOT NULL,
    currency VARCHAR NOT NULL,
    detail JSON NOT NULL,
    period_status VARCHAR NOT NULL
"""
PAYOUT_COLUMNS = """
    run_id VARCHAR NOT NULL,
    rep_id VARCHAR NOT NULL,
    period VARCHAR NOT NULL,
    plan_id VARCHAR,
    plan_version VARCHAR,
    credit DECIMAL(38,12) NOT NULL,
    quota DECIMAL(18,2),
    attainment DECIMAL(18,6),
    commission DECIMAL(18,2) NOT NULL,
    spiffs DECIMAL(18,2) NOT NULL,
    overrides DECIMAL(18,2) NOT NULL,
    clawbacks DECIMAL(18,2) NOT NULL,
    adjustments DECIMAL(18,2) NOT NULL,
    draw DECIMAL(18,2) NOT NULL,
    total_payable DECIMAL(18,2) NOT NULL,
    currency VARCHAR NOT NULL,
    status VARCHAR NOT NULL
"""
DDL = (
    f"CREATE TABLE IF NOT EXISTS finance.commission_payout_lines ({LINE_COLUMNS})",
    f"CREATE TABLE IF NOT EXISTS finance.locked_payout_lines ({LINE_COLUMNS})",
    f"CREATE TABLE IF NOT EXISTS finance.commission_payouts ({PAYOUT_COLUMNS})",
    f"CREATE TABLE IF NOT EXISTS finance.locked_payouts ({PAYOUT_COLUMNS})",
    """CREATE TABLE IF NOT EXISTS finance.commission_exceptions (
        run_id VARCHAR NOT NULL, rep_id VARCHAR NOT NULL, period VARCHAR NOT NULL,
        kind VARCHAR NOT NULL, detail VARCHAR NOT NULL, amount DECIMAL(38,12),
        is_blocking BOOLEAN NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS finance.payout_credits (
        period VARCHAR NOT NULL, rep_id VARCHAR NOT NULL, source_ref VARCHAR NOT NULL,
        credit DECIMAL(38,12) NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS finance.locked_credits (
        period VARCHAR NOT NULL, rep_id VARCHAR NOT NULL, source_ref VARCHAR NOT NULL,
        credit DECIMAL(38,12) NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS finance.period_locks (
        period VARCHAR PRIMARY KEY, locked_at TIMESTAMP NOT NULL, locked_by VARCHAR NOT NULL,
        run_id VARCHAR NOT NULL, lock_run_id VARCHAR)""",
)
LINE_ORDER = "period, rep_id, line_type, source_ref, plan_id, detail"
D12 = Decimal("0.000000000001")


class LockError(Exception):
    """A period cannot be locked; the message says why and what to do."""


DESCRIPTIONS = {
    "finance.commission_payout_lines": "Every commission line (commission, cap, SPIFF, "
    "contest, override, draw, clawback, adjustment) per rep and period, with the plan, rate and "
    "basis it came from (PAYOUTS.md); locked periods copied verbatim from locked_payout_lines.",
    "finance.locked_payout_lines": "The lines of locked periods, frozen at lock time; never "
    "change.",
    "finance.commission_payouts": "Per rep and period: credit, quota, attainment, each kind of "
    "line summed, and the total payable (lines summed, exact to the cent).",
    "finance.locked_payouts": "The payouts of locked periods, frozen at lock time.",
    "finance.commission_exceptions": "What blocks a period: a rep with credit but no quota, no "
    "plan in force, an unknown currency...; a period does not lock while it has these.",
    "finance.payout_credits": "The credited orders behind each rep's credit per period (the "
    "basis of clawbacks).",
    "finance.locked_credits": "The credited orders of locked periods, frozen at lock time.",
    "finance.period_locks": "Locked payout periods: when, by whom (masked in the published "
    "copy), from which run.",
}


LINE_COLUMN_DESCRIPTIONS = {
    "run_id": "The Dagster run that computed the line (for a locked period: the run it was "
    "locked from).",
    "plan_id": "Commission plan (plan file's plan_id).",
    "plan_version": "Version of the plan in force for the line's period.",
    "rep_id": "Rep paid.",
    "period": "Payout period, YYYY-MM.",
    "line_type": "commission, cap, spiff, contest, override, draw, draw_recovery, clawback or "
    "adjustment.",
    "source_ref": "What the line comes from: the tier band, the order, the adjustment's file and "
    "line.",
    "basis_amount": "The amount the rate applies to (credit in the band, the order's credit...).",
    "rate": "The rate applied (0-1), where there is one.",
    "amount": "Money paid (negative: recovered), rounded once, at the line, by the plan's rule.",
    "currency": "Currency of amount (the plan's).",
    "detail": "The line's working as JSON: attainment, band, figures before a cap...",
    "period_status": "open (recomputed every build) or locked (frozen).",
}
PAYOUT_COLUMN_DESCRIPTIONS = {
    "run_id": "The Dagster run that computed the payout.",
    "rep_id": "Rep paid.",
    "period": "Payout period, YYYY-MM.",
    "plan_id": "Commission plan in force.",
    "plan_version": "Its version in force for the period.",
    "credit": "Credited net revenue of the period under the plan's basis (exact).",
    "quota": "The period's quota.",
    "attainment": "credit / quota.",
    "commission": "Commission lines summed (after any cap).",
    "spiffs": "SPIFF and contest lines summed.",
    "overrides": "Manager override lines summed.",
    "clawbacks": "Clawback lines summed (negative).",
    "adjustments": "Finance's manual adjustments summed.",
    "draw": "Draw paid (positive) or recovered (negative).",
    "total_payable": "What to pay: the period's lines summed, to the cent.",
    "currency": "Currency of the amounts (the plan's).",
    "status": "open or locked.",
}


def ensure_tables(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("CREATE SCHEMA IF NOT EXISTS finance")
    for ddl in DDL:
        conn.execute(ddl)
    describe_tables(conn, DESCRIPTIONS)
    for table in ("finance.commission_payout_lines", "finance.locked_payout_lines"):
        describe_columns(conn, table, LINE_COLUMN_DESCRIPTIONS)
    for table in ("finance.commission_payouts", "finance.locked_payouts"):
        describe_columns(conn, table, PAYOUT_COLUMN_DESCRIPTIONS)


def _month(value: date) -> str:
    return f"{value.year:04d}-{value.month:02d}"


def read_inputs(conn: duckdb.DuckDBPyConnection, plans: list[PlanVersion],
                reporting_currency: str) -> Inputs:
    """Everything the engine needs, from the marts (numbers exact: DECIMAL -> Decimal). The
    finance tables must exist (ensure_tables)."""
    periods = [_month(m) for (m,) in conn.execute(
        "SELECT DISTINCT month FROM marts.mart_rep_kpis ORDER BY 1").fetchall()]
    reps = {(rep, _month(m)): RepMonth(rep, _month(m), role, manager, bool(employed))
            for rep, m, role, manager, employed in conn.execute(
                "SELECT rep_id, month, role, manager_id, is_employed FROM marts.mart_rep_kpis "
                "WHERE rep_id <> '(unassigned)'").fetchall()}
    # An order's credit: its lines' qty x unit price - discount in the reporting currency at
    # the order date's rate, cancelled orders out; returns come off separately (window).
    orders = [Credit(rep, order, day, amount) for rep, order, day, amount in conn.execute(
        "SELECT rep_id, order_id, min(order_date), sum(net_amount * rate_to_reporting) "
        "FROM marts.fct_order_lines WHERE NOT is_cancelled AND NOT is_orphan_line "
        "AND rep_id IS NOT NULL AND rate_to_reporting IS NOT NULL "
        "GROUP BY rep_id, order_id ORDER BY rep_id, order_id").fetchall()]
    bookings = [Credit(rep, opp, day, amount) for rep, opp, day, amount in conn.execute(
        "SELECT owner_rep_id, opportunity_id, close_date, amount_reporting "
        "FROM marts.fct_opportunities WHERE is_won AND NOT is_deleted AND close_date IS NOT NULL "
        "AND amount_reporting IS NOT NULL ORDER BY 1, 2").fetchall()]
    return Inputs(
        plans=plans, periods=periods, reps=reps,
        credits={"net_revenue": orders, "bookings": bookings},
        returns=_returns(conn),
        quotas={(rep, period): (amount, currency)
                for rep, period, amount, currency in conn.execute(
                    "SELECT rep_id, period, quota_amount, currency "
                    "FROM staging.stg_plan__quotas").fetchall()},
        new_customers=[NewCustomer(*row) for row in conn.execute(
            "SELECT f.account_id, f.first_order_id, o.rep_id, f.first_order_date "
            "FROM intermediate.int_customer_first_orders f "
            "JOIN marts.fct_orders o ON o.order_id = f.first_order_id "
            "WHERE o.rep_id IS NOT NULL ORDER BY 1").fetchall()],
        adjustments=[Adjustment(rep, period, amount, currency, reason, approver,
                                f"{source_file}:{line}")
                     for rep, period, amount, currency, reason, approver, source_file, line
                     in conn.execute(
                         "SELECT rep_id, period, amount, currency, reason, approved_by, "
                         "_source_file, _source_line FROM staging.stg_plan__commission_adjustments "
                         "ORDER BY 1, 2, 5").fetchall()],
        reporting_currency=reporting_currency,
        fx=_fx(conn, plans, reporting_currency),
        locked_lines=_locked_lines(conn),
        locked_credits={(period, rep, ref): credit for period, rep, ref, credit in conn.execute(
            "SELECT period, rep_id, source_ref, credit FROM finance.locked_credits").fetchall()},
    )


def _returns(conn: duckdb.DuckDBPyConnection) -> list[Return]:
    """Each return's value: its units' share of the line's net amount, the units capped at
    what the line sold (as the facts do), in the reporting currency at the order date."""
    rows = conn.execute(
        "SELECT r.order_id, r.line_no, f.rep_id, f.order_date, r.returned_date, r.quantity, "
        "f.quantity, f.net_amount * f.rate_to_reporting "
        "FROM staging.stg_orders__returns r JOIN marts.fct_order_lines f "
        "ON f.order_id = r.order_id AND f.line_no = r.line_no "
        "WHERE NOT f.is_cancelled AND NOT f.is_orphan_line AND f.rep_id IS NOT NULL "
        "AND f.quantity > 0 AND f.rate_to_reporting IS NOT NULL "
        "ORDER BY r.order_id, r.line_no, r.returned_at, r.return_id").fetchall()
    returns, taken = [], {}
    for order, line, rep, day, returned, units, sold, value in rows:
        left = sold - taken.get((order, line), 0)
        counted = min(units, left)
        taken[(order, line)] = taken.get((order, line), 0) + counted
        if counted > 0:
            returns.append(Return(rep, order, day, returned, value * counted / sold))
    return returns


def _fx(conn: duckdb.DuckDBPyConnection, plans: list[PlanVersion], reporting: str):
    wanted = sorted({p.currency for p in plans} - {reporting})
    if not wanted:
        return lambda currency, day: None
    rates = {(currency, day): rate for day, currency, rate in conn.execute(
        "SELECT date_day, currency, rate_to_reporting FROM intermediate.int_fx_rates_daily "
        f"WHERE currency IN ({', '.join('?' for _ in wanted)})", wanted).fetchall()}
    return lambda currency, day: rates.get((currency, day))


def _locked_lines(conn: duckdb.DuckDBPyConnection) -> dict[str, list[Line]]:
    locked: dict[str, list[Line]] = {}
    columns = [f.name for f in Line.__dataclass_fields__.values()]
    for row in conn.execute(f"SELECT {', '.join(columns)} FROM finance.locked_payout_lines "
                            f"ORDER BY {LINE_ORDER}").fetchall():
        line = Line(**dict(zip(columns, row, strict=True)))
        locked.setdefault(line.period, []).append(line)
    return locked


def write_result(conn: duckdb.DuckDBPyConnection, inputs: Inputs, result: Result,
                 run_id: str) -> None:
    """Replace the published finance tables in one transaction. Locked periods' rows come
    from the locked tables verbatim; open ones carry this run's id."""
    locked = set(inputs.locked_lines)
    open_lines = [line for line in result.lines if line.period not in locked]
    conn.execute("BEGIN TRANSACTION")
    try:
        for table in ("commission_payout_lines", "commission_payouts", "commission_exceptions",
                      "payout_credits"):
            conn.execute(f"DELETE FROM finance.{table}")
        conn.execute("INSERT INTO finance.commission_payout_lines "
                     "SELECT * FROM finance.locked_payout_lines")
        _insert(conn, "finance.commission_payout_lines", [
            (run_id, ln.plan_id, ln.plan_version, ln.rep_id, ln.period, ln.line_type,
             ln.source_ref, _d12(ln.basis_amount), ln.rate, ln.amount, ln.currency, ln.detail,
             "open") for ln in open_lines])
        conn.execute("INSERT INTO finance.commission_payouts SELECT * FROM finance.locked_payouts")
        _insert(conn, "finance.commission_payouts", _payout_rows(result, open_lines, run_id))
        _insert(conn, "finance.commission_exceptions", [
            (run_id, i.rep_id, i.period, i.kind, i.detail, _d12(i.amount), i.blocking)
            for i in result.issues])
        _insert(conn, "finance.payout_credits", [
            (period, rep, ref, _d12(credit))
            for (period, rep, ref), credit in sorted(result.credits.items())])
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise


def _d12(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(D12)


def _payout_rows(result: Result, lines: list[Line], run_id: str) -> list[tuple]:
    summed = {(r["rep_id"], r["period"]): r for r in payouts(lines)}
    rows = []
    for key in sorted(set(summed) | set(result.standing)):
        row, standing = summed.get(key), result.standing.get(key)
        plan = standing.plan if standing else None
        zero = Decimal("0.00")
        rows.append((
            run_id, key[0], key[1],
            plan.plan_id if plan else row["plan_id"],
            plan.version if plan else row["plan_version"],
            _d12(standing.credit if standing else Decimal(0)),
            standing.quota if standing else None,
            standing.attainment if standing else None,
            *(row[c] if row else zero for c in ("commission", "spiffs", "overrides",
                                                 "clawbacks", "adjustments", "draw",
                                                 "total_payable")),
            plan.currency if plan else row["currency"], "open"))
    return rows


def _insert(conn: duckdb.DuckDBPyConnection, table: str, rows: list[tuple]) -> None:
    """Insert through a frame of texts that DuckDB casts to the table's types: exact (a
    Decimal is written out in full, never through a float), and about a second for half a
    million rows where executemany's row-by-row binding takes minutes."""
    if not rows:
        return
    import pandas as pd

    frame = pd.DataFrame({f"c{i}": [_text(v) for v in column]
                          for i, column in enumerate(zip(*rows, strict=True))}, dtype=object)
    conn.register("_payout_rows", frame)
    try:
        conn.execute(f"INSERT INTO {table} SELECT * FROM _payout_rows")
    finally:
        conn.unregister("_payout_rows")


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")  # positional notation, every digit
    return str(value)


def lock_period(conn: duckdb.DuckDBPyConnection, period: str, lock_run_id: str | None = None,
                who: str | None = None) -> dict[str, object]:
    """Freeze a computed open period: its lines, payouts and credits are copied to the locked
    tables and marked locked, and the lock recorded (who, when, the run that computed the
    lines, the run that locked them). Periods lock in order; there is no unlock."""
    ensure_tables(conn)
    if conn.execute("SELECT count(*) FROM finance.period_locks WHERE period = ?",
                    [period]).fetchall()[0][0]:
        raise LockError(f"{period} is already locked; a locked period is corrected only "
                        "forward (clawbacks and adjustments in an open period)")
    runs = conn.execute("SELECT DISTINCT run_id FROM finance.commission_payout_lines "
                        "WHERE period = ?", [period]).fetchall()
    if not runs:
        raise LockError(f"no payouts computed for {period}; run `sales-wh build` first")
    earlier = [p for (p,) in conn.execute(
        "SELECT DISTINCT period FROM finance.commission_payouts WHERE period < ? "
        "AND status = 'open' ORDER BY 1", [period]).fetchall()]
    if earlier:
        raise LockError(f"{', '.join(earlier)} before {period} are still open: lock periods in "
                        f"order (sales-wh lock-period {earlier[0]})")
    blocking = conn.execute(
        "SELECT rep_id, kind, detail FROM finance.commission_exceptions "
        "WHERE period = ? AND is_blocking ORDER BY 1, 2", [period]).fetchall()
    if blocking:
        listed = "; ".join(f"{rep} {kind}: {text}" for rep, kind, text in blocking[:3])
        raise LockError(f"{period} has {len(blocking)} unresolved exception(s) "
                        f"(finance.commission_exceptions): {listed}")
    who = who or os.environ.get("SALES_WH_USER") or getpass.getuser()
    conn.execute("BEGIN TRANSACTION")
    try:
        conn.execute("UPDATE finance.commission_payout_lines SET period_status = 'locked' "
                     "WHERE period = ?", [period])
        conn.execute("UPDATE finance.commission_payouts SET status = 'locked' WHERE period = ?",
                     [period])
        conn.execute("INSERT INTO finance.locked_payout_lines SELECT * FROM "
                     f"finance.commission_payout_lines WHERE period = ? ORDER BY {LINE_ORDER}",
                     [period])
        conn.execute("INSERT INTO finance.locked_payouts SELECT * FROM "
                     "finance.commission_payouts WHERE period = ? ORDER BY rep_id", [period])
        conn.execute("INSERT INTO finance.locked_credits SELECT * FROM finance.payout_credits "
                     "WHERE period = ? ORDER BY rep_id, source_ref", [period])
        conn.execute("INSERT INTO finance.period_locks VALUES (?, now()::TIMESTAMP, ?, ?, ?)",
                     [period, who, runs[0][0], lock_run_id])
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise
    lines, total = conn.execute(
        "SELECT count(*), coalesce(sum(amount), 0) FROM finance.locked_payout_lines "
        "WHERE period = ?", [period]).fetchall()[0]
    return {"period": period, "locked_by": who, "run_id": runs[0][0], "lines": int(lines),
            "total": total}


