"""`forecast.forecast_vs_target`: the forecast against the revenue targets and the quotas of
the months it covers, for the company and each region, with the gap and the probability of
reaching each (handbook 5.4: adjust plan and forecast when reality moves).

The probability comes from the forecast's predictive distribution, read as a two-piece normal
around the forecast: below it with the spread of the lower 80 % bound, above it with the
spread of the upper one (the intervals are not symmetric, so neither is the distribution).
Quotas are the reps' (`plan/quotas`), summed by the region the rep is in that month (the
version of the rep's record in force at the month's end, so a dated transfer moves the quota
with the rep), converted to the reporting currency at the latest rate where they are in
another currency.
"""

from __future__ import annotations

import math

import duckdb

from models_py.describe import describe_tables

Z80 = 1.2815515655446004

DDL = """CREATE TABLE IF NOT EXISTS forecast.forecast_vs_target (
    run_id VARCHAR NOT NULL, trained_through DATE NOT NULL, level VARCHAR NOT NULL,
    series VARCHAR NOT NULL, month DATE NOT NULL, forecast DOUBLE NOT NULL,
    lo80 DOUBLE NOT NULL, hi80 DOUBLE NOT NULL, target DOUBLE, gap_to_target DOUBLE,
    probability_reaching_target DOUBLE, quota DOUBLE, gap_to_quota DOUBLE,
    probability_reaching_quota DOUBLE)"""


def probability_at_least(threshold: float, yhat: float, lo80: float, hi80: float) -> float:
    """P(Y >= threshold) under the two-piece normal with mode yhat and 80 % bounds lo, hi."""
    spread = (hi80 - yhat if threshold >= yhat else yhat - lo80) / Z80
    if spread <= 0:
        return 1.0 if threshold <= yhat else 0.0
    z = (threshold - yhat) / spread
    return 0.5 * math.erfc(z / math.sqrt(2))


def forecast_vs_target(conn: duckdb.DuckDBPyConnection, run_id: str) -> int:
    """Write the run's rows; returns how many months had a target or a quota."""
    conn.execute(DDL)
    describe_tables(conn, {"forecast.forecast_vs_target": (
        "The forecast against revenue targets and summed quotas [run x company/region x "
        "month]: gaps and the probability of reaching each, from the predictive distribution.")})
    forecasts = conn.execute(
        "SELECT trained_through, level, series, month, yhat, lo80, hi80 "
        "FROM forecast.revenue_forecast WHERE run_id = ? AND level IN ('company', 'region') "
        "ORDER BY level, series, month", [run_id]).fetchall()
    targets = {(scope, period): float(value) for scope, period, value in conn.execute(
        "SELECT scope, period, target_value FROM staging.stg_plan__targets "
        "WHERE metric = 'revenue'").fetchall()}
    quotas = _quotas(conn)
    rows, covered = [], 0
    for trained, level, series, month, yhat, lo, hi in forecasts:
        period = f"{month:%Y-%m}"
        scope = "company" if level == "company" else f"region:{series}"
        target = targets.get((scope, period))
        quota = quotas.get((series if level == "region" else "company", period))
        covered += target is not None or quota is not None
        rows.append((run_id, trained, level, series, month, yhat, lo, hi, target,
                     None if target is None else yhat - target,
                     None if target is None else probability_at_least(target, yhat, lo, hi),
                     quota, None if quota is None else yhat - quota,
                     None if quota is None else probability_at_least(quota, yhat, lo, hi)))
    conn.execute("DELETE FROM forecast.forecast_vs_target WHERE run_id = ?", [run_id])
    if rows:
        conn.executemany("INSERT INTO forecast.forecast_vs_target VALUES "
                         "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return covered


def _quotas(conn: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], float]:
    rows = conn.execute("""
        WITH latest_rate AS (
            SELECT currency, arg_max(rate_to_reporting, date_day) AS rate
            FROM intermediate.int_fx_rates_daily GROUP BY currency
        ),
        -- The region of the rep's record in force at the end of the quota's month (a
        -- transfer already entered counts from its date); before the first record, the
        -- first one.
        quota_region AS (
            SELECT q.rep_id, q.period, coalesce(
                arg_max(r.region, r.valid_from) FILTER (
                    WHERE r.valid_from < last_day(q.period_month) + INTERVAL 1 DAY),
                arg_min(r.region, r.valid_from)) AS region
            FROM staging.stg_plan__quotas q
            JOIN marts.dim_rep r USING (rep_id)
            GROUP BY q.rep_id, q.period
        )
        SELECT coalesce(quota_region.region, '(unknown)'), q.period,
            sum(q.quota_amount * coalesce(latest_rate.rate, 1))::DOUBLE
        FROM staging.stg_plan__quotas q
        LEFT JOIN quota_region USING (rep_id, period)
        LEFT JOIN latest_rate ON latest_rate.currency = q.currency
        GROUP BY ALL""").fetchall()
    out: dict[tuple[str, str], float] = {}
    for region, period, amount in rows:
        out[(region, period)] = amount
        out[("company", period)] = out.get(("company", period), 0.0) + amount
    return out
