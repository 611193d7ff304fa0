"""The payout checks of PAYOUTS.md, over the published finance tables. Each returns whether it
passed and, when not, the first offending rows in words; all of them fail the run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb

from models_py.payouts.plans import PlanVersion


@dataclass
class CheckOutcome:
    name: str
    passed: bool
    description: str
    problems: list[str] = field(default_factory=list)
    rows_checked: int = 0


def _rows(conn: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[tuple]:
    return conn.execute(sql, params or []).fetchall()


def reconciliation(conn: duckdb.DuckDBPyConnection, plans: list[PlanVersion],
                   reporting_currency: str) -> CheckOutcome:
    """Σ credit in payouts = Σ net revenue of the same reps and months in the rep KPI mart,
    plus the returns that fell outside the clawback window (listed as exceptions); for open
    months of net-revenue plans paid in the reporting currency, to the cent."""
    names = [(p.plan_id, p.version) for p in plans
             if p.basis == "net_revenue" and p.currency == reporting_currency
             and p.period == "month"]
    outcome = CheckOutcome("credit_reconciles_with_rep_kpis", True,
                           "payout credit + returns outside the window = rep KPI net revenue")
    if not names:
        return outcome
    values = ", ".join("(?, ?)" for _ in names)
    rows = _rows(conn, f"""
        WITH planned(plan_id, plan_version) AS (VALUES {values}),
        payout AS (
            SELECT p.rep_id, p.period, p.credit FROM finance.commission_payouts p
            JOIN planned USING (plan_id, plan_version) WHERE p.status = 'open'
        ),
        outside AS (
            SELECT rep_id, period, sum(amount) AS amount FROM finance.commission_exceptions
            WHERE kind = 'return_outside_window' GROUP BY ALL
        ),
        kpi AS (
            SELECT rep_id, strftime(month, '%Y-%m') AS period, net_revenue
            FROM marts.mart_rep_kpis
        )
        SELECT payout.rep_id, payout.period, payout.credit, coalesce(outside.amount, 0),
            kpi.net_revenue
        FROM payout
        LEFT JOIN outside USING (rep_id, period)
        LEFT JOIN kpi USING (rep_id, period)
        ORDER BY 1, 2""", [x for pair in names for x in pair])
    outcome.rows_checked = len(rows)
    for rep, period, credit, outside, kpi in rows:
        # The payout credit counts returns inside the window; the mart counts all returns.
        if kpi is None or round(credit - outside, 2) != round(kpi, 2):
            outcome.problems.append(f"{rep} {period}: credit {round(credit, 2)} - returns "
                                    f"outside the window {round(outside, 2)} <> KPI net revenue "
                                    f"{None if kpi is None else round(kpi, 2)}")
    outcome.passed = not outcome.problems
    return outcome


def lines_sum_to_payouts(conn: duckdb.DuckDBPyConnection) -> CheckOutcome:
    rows = _rows(conn, """
        WITH lines AS (
            SELECT rep_id, period, sum(amount) AS total FROM finance.commission_payout_lines
            GROUP BY ALL
        )
        SELECT p.rep_id, p.period, p.total_payable, coalesce(lines.total, 0),
            p.commission + p.spiffs + p.overrides + p.clawbacks + p.adjustments + p.draw
        FROM finance.commission_payouts p LEFT JOIN lines USING (rep_id, period)
        ORDER BY 1, 2""")
    problems = [f"{rep} {period}: total_payable {payable}, lines {lines}, parts {parts}"
                for rep, period, payable, lines, parts in rows
                if not payable == lines == parts]
    orphans = _rows(conn, """
        SELECT DISTINCT l.rep_id, l.period FROM finance.commission_payout_lines l
        ANTI JOIN finance.commission_payouts p USING (rep_id, period) ORDER BY 1, 2""")
    problems += [f"{rep} {period}: lines without a payout row" for rep, period in orphans]
    return CheckOutcome("lines_sum_to_payouts", not problems,
                        "payout lines sum to each payout, to the cent", problems, len(rows))


def locked_periods_unchanged(conn: duckdb.DuckDBPyConnection) -> CheckOutcome:
    problems = []
    for published, frozen, what in (("commission_payout_lines", "locked_payout_lines", "lines"),
                                    ("commission_payouts", "locked_payouts", "payouts")):
        rows = _rows(conn, f"""
            WITH published AS (
                SELECT * FROM finance.{published}
                WHERE period IN (SELECT period FROM finance.period_locks)
            )
            SELECT 'changed or added' AS how, period, rep_id FROM (
                SELECT * FROM published EXCEPT ALL SELECT * FROM finance.{frozen})
            UNION ALL
            SELECT 'missing', period, rep_id FROM (
                SELECT * FROM finance.{frozen} EXCEPT ALL SELECT * FROM published)
            ORDER BY 2, 3""")
        problems += [f"locked {what} {how}: {rep} {period}" for how, period, rep in rows]
    return CheckOutcome("locked_periods_unchanged", not problems,
                        "every row of a locked period is as it was locked", problems)


def lines_under_plans_in_force(conn: duckdb.DuckDBPyConnection,
                               plans: list[PlanVersion]) -> CheckOutcome:
    """Every line belongs to a plan version in force in its period (on some day of it); a
    clawback, in the period it corrects."""
    by_name = {(p.plan_id, p.version): p for p in plans}
    locked = {p for (p,) in _rows(conn, "SELECT period FROM finance.period_locks")}
    problems = []
    # A clawback belongs to the plan of the month it corrects, which may since have ended.
    rows = _rows(conn, "SELECT DISTINCT plan_id, plan_version, CASE WHEN line_type = "
                       "'clawback' THEN detail->>'original_period' ELSE period END "
                       "FROM finance.commission_payout_lines ORDER BY 1, 2, 3")
    for plan_id, version, period in rows:
        if period in locked:
            continue  # frozen as it was; its plan may since have been retired
        plan = by_name.get((plan_id, version))
        start = date(int(period[:4]), int(period[5:7]), 1)
        end = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
        if plan is None:
            problems.append(f"{period}: plan {plan_id} {version} is in no plan file")
        elif not (plan.effective_from < end
                  and (plan.effective_to is None or plan.effective_to >= start)):
            problems.append(f"{period}: plan {plan.label} is not in force then")
    return CheckOutcome("lines_under_plans_in_force", not problems,
                        "every line belongs to a plan version in force in its period",
                        problems, len(rows))


def no_credit_without_quota(conn: duckdb.DuckDBPyConnection) -> CheckOutcome:
    rows = _rows(conn, "SELECT rep_id, period, kind, detail FROM finance.commission_exceptions "
                       "WHERE is_blocking ORDER BY period, rep_id, kind")
    return CheckOutcome(
        "no_credit_without_quota", not rows,
        "no rep has credit without a quota (or another blocking exception)",
        [f"{rep} {period} {kind}: {detail}" for rep, period, kind, detail in rows])


def no_negative_payable(conn: duckdb.DuckDBPyConnection) -> CheckOutcome:
    rows = _rows(conn, "SELECT rep_id, period, total_payable, clawbacks FROM "
                       "finance.commission_payouts WHERE total_payable - clawbacks < 0 "
                       "ORDER BY period, rep_id")
    return CheckOutcome(
        "no_negative_payable", not rows,
        "no negative total payable except through clawbacks",
        [f"{rep} {period}: total {total}, clawbacks {claw}" for rep, period, total, claw in rows])


# Every check's name and what it holds (the Dagster check specs are made from this).
CHECKS = {
    "credit_reconciles_with_rep_kpis": "payout credit + returns outside the clawback window = "
    "rep KPI net revenue, per rep and open month, to the cent",
    "lines_sum_to_payouts": "payout lines sum to each payout, to the cent",
    "locked_periods_unchanged": "every row of a locked period is as it was locked",
    "lines_under_plans_in_force": "every line belongs to a plan version in force in its period",
    "no_credit_without_quota": "no rep has credit without a quota (nor another blocking "
    "exception)",
    "no_negative_payable": "no negative total payable except through clawbacks",
}


def run_checks(conn: duckdb.DuckDBPyConnection, plans: list[PlanVersion],
               reporting_currency: str) -> list[CheckOutcome]:
    return [reconciliation(conn, plans, reporting_currency), lines_sum_to_payouts(conn),
            locked_periods_unchanged(conn), lines_under_plans_in_force(conn, plans),
            no_credit_without_quota(conn), no_negative_payable(conn)]
