"""One payout run: plans -> inputs from the marts -> rules -> finance tables -> checks."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from models_py.payouts.checks import CheckOutcome, run_checks
from models_py.payouts.engine import compute
from models_py.payouts.plans import PlanVersion, load_plans
from models_py.payouts.store import ensure_tables, read_inputs, write_result


@dataclass
class PayoutRun:
    plans: list[PlanVersion]
    lines: int = 0
    reps: int = 0
    periods: int = 0
    exceptions: int = 0
    seconds: float = 0.0
    checks: list[CheckOutcome] = field(default_factory=list)
    note: str = ""


def build_payouts(conn: duckdb.DuckDBPyConnection, plans_dir: Path | None,
                  reporting_currency: str, run_id: str) -> PayoutRun:
    """Compute every open period's payouts and publish them with the locked ones. Raises
    PlanError for a broken plan file (the message names the file and field)."""
    started = time.perf_counter()
    ensure_tables(conn)
    plans = load_plans(plans_dir) if plans_dir is not None and plans_dir.is_dir() else []
    run = PayoutRun(plans)
    if not plans:
        run.note = (f"no commission plans in {plans_dir}: no payouts computed" if plans_dir
                    else "no commission plans folder: no payouts computed")
    inputs = read_inputs(conn, plans, reporting_currency)
    result = compute(inputs)
    write_result(conn, inputs, result, run_id)
    run.lines = len(result.lines)
    run.reps = len({line.rep_id for line in result.lines})
    run.periods = len({line.period for line in result.lines})
    run.exceptions = len(result.issues)
    run.checks = run_checks(conn, plans, reporting_currency)
    run.seconds = time.perf_counter() - started
    return run


def main(argv: list[str] | None = None) -> int:
    """`python -m models_py.payouts.pipeline WAREHOUSE PLANS`: one payout run outside Dagster
    (for benchmarks and debugging); prints what it did."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("plans", type=Path)
    parser.add_argument("--reporting-currency", default="USD")
    args = parser.parse_args(argv)
    conn = duckdb.connect(str(args.warehouse))
    try:
        run = build_payouts(conn, args.plans, args.reporting_currency, "bench")
    finally:
        conn.close()
    failed = [c.name for c in run.checks if not c.passed]
    print(f"payouts: {run.lines} lines, {run.reps} reps, {run.periods} periods, "
          f"{run.exceptions} exceptions in {run.seconds:.2f}s; checks failed: {failed or 'none'}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
