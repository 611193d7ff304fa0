"""Monthly net revenue forecasts of the company, its regions, channels, product categories and
region × category, reconciled so children sum to parents, kept per run in
`forecast.revenue_forecast` with the backtest in `forecast.backtest_metrics`.

The history is the facts' net revenue in the reporting currency by order month, through the
last complete month before the as-of date (a month still running would look like a fall).
Regions are the customer's region. Region × category is the bottom of one hierarchy (company,
regions, categories); the channels, a second breakdown of the company, are fitted to the
reconciled company total.
"""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context

import duckdb
import numpy as np
import pandas as pd

from models_py.describe import describe_columns, describe_tables
from models_py.forecasting.reconcile import Hierarchy, fix_parent, reconcile

HORIZON = 12
SEP = " | "

DDL = (
    "CREATE SCHEMA IF NOT EXISTS forecast",
    """CREATE TABLE IF NOT EXISTS forecast.revenue_forecast (
        run_id VARCHAR NOT NULL, trained_through DATE NOT NULL, level VARCHAR NOT NULL,
        series VARCHAR NOT NULL, month DATE NOT NULL, yhat DOUBLE NOT NULL,
        lo80 DOUBLE NOT NULL, hi80 DOUBLE NOT NULL, lo95 DOUBLE NOT NULL, hi95 DOUBLE NOT NULL,
        base_yhat DOUBLE NOT NULL, model VARCHAR NOT NULL, reconciliation VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS forecast.backtest_metrics (
        run_id VARCHAR NOT NULL, level VARCHAR NOT NULL, series VARCHAR NOT NULL,
        model VARCHAR NOT NULL, origin_month DATE NOT NULL, steps INTEGER NOT NULL,
        mase DOUBLE, rmsse DOUBLE, wape DOUBLE, smape DOUBLE,
        skill_vs_seasonal_naive DOUBLE, is_chosen BOOLEAN NOT NULL)""",
)


@dataclass
class RevenueRun:
    trained_through: pd.Period | None
    series: int = 0
    months_of_history: int = 0
    seconds: float = 0.0
    reconciliation: str = ""
    models: dict[str, str] = field(default_factory=dict)
    company_history: pd.Series | None = None  # what the company's forecast was trained on


def history(conn: duckdb.DuckDBPyConnection) -> tuple[dict[tuple[str, str], pd.Series],
                                                       pd.Period | None]:
    """(level, series) -> monthly net revenue, every month present (0 when none)."""
    as_of = conn.execute("SELECT as_of_date FROM intermediate.int_as_of_date").fetchall()[0][0]
    last = pd.Period(as_of, freq="M")
    if (as_of + pd.Timedelta(days=1)).month == as_of.month:
        last -= 1  # the as-of month is not over
    rows = conn.execute("""
        SELECT f.order_month, coalesce(c.region, '(unknown)') AS region, f.channel,
            coalesce(f.product_category, '(unknown)') AS category,
            sum(f.net_revenue_reporting)::DOUBLE AS revenue
        FROM marts.fct_order_lines f
        LEFT JOIN marts.dim_customer c ON c.account_id = f.account_id
        WHERE NOT f.is_cancelled AND NOT f.is_orphan_line AND f.order_month IS NOT NULL
        GROUP BY ALL ORDER BY ALL""").fetchall()
    if not rows:
        return {}, None
    frame = pd.DataFrame(rows, columns=["month", "region", "channel", "category", "revenue"])
    frame["month"] = pd.PeriodIndex(pd.to_datetime(frame["month"]), freq="M")
    frame = frame[frame["month"] <= last]
    if frame.empty:
        return {}, None
    months = pd.period_range(frame["month"].min(), last, freq="M")
    out: dict[tuple[str, str], pd.Series] = {}

    def add(level: str, keys: list[str]) -> None:
        grouped = frame.groupby(["month", *keys])["revenue"].sum()
        if not keys:
            out[(level, "company")] = grouped.reindex(months, fill_value=0.0)
            return
        for key, part in grouped.groupby(level=list(range(1, len(keys) + 1))):
            name = SEP.join(key) if isinstance(key, tuple) else str(key)
            series = part.droplevel(list(range(1, len(keys) + 1)))
            out[(level, name)] = series.reindex(months, fill_value=0.0)

    add("company", [])
    add("region", ["region"])
    add("channel", ["channel"])
    add("category", ["category"])
    add("region_category", ["region", "category"])
    return out, last


def _one(args: tuple[tuple[str, str], pd.Series]) -> tuple[tuple[str, str], pd.DataFrame,
                                                           np.ndarray]:
    from models_py.forecasting.engine import forecast

    key, series = args
    result = forecast(series, HORIZON)
    return key, result, result.attrs.get("errors", np.array([]))


def forecast_revenue(conn: duckdb.DuckDBPyConnection, run_id: str,
                     workers: int = 2) -> RevenueRun:
    started = time.perf_counter()
    for ddl in DDL:
        conn.execute(ddl)
    describe_tables(conn, {
        "forecast.revenue_forecast": "Monthly net revenue forecasts [run x series x month]: "
        "yhat with 80/95 % intervals, reconciled so children sum to parents; every run kept "
        "(run_id, trained_through) to compare this month's forecast with last month's.",
        "forecast.backtest_metrics": "Rolling-origin backtest of every candidate model "
        "[run x series x model x origin]: MASE, RMSSE, WAPE, sMAPE, seasonal-naive skill; "
        "is_chosen marks the model each series uses."})
    describe_columns(conn, "forecast.revenue_forecast", {
        "run_id": "The forecast run (Dagster run id); every run is kept.",
        "trained_through": "Last complete month of history the run learned from.",
        "level": "company, region, channel, category or region_category.",
        "series": "The series within its level (e.g. a region; 'region | category').",
        "month": "Forecast month (first day).",
        "yhat": "Forecast net revenue (reporting currency), reconciled across levels.",
        "lo80": "Lower bound of the 80 % interval.", "hi80": "Upper bound of the 80 % interval.",
        "lo95": "Lower bound of the 95 % interval.", "hi95": "Upper bound of the 95 % interval.",
        "base_yhat": "The series' own forecast before reconciliation.",
        "model": "Model chosen by the series' backtest (or its fallback, and why).",
        "reconciliation": "How children were made to sum to parents (mint_shrink, wls_struct, "
        "bottom_up).",
        "created_at": "When the run wrote the row."})
    series, last = history(conn)
    run = RevenueRun(last, len(series), company_history=series.get(("company", "company")))
    if not series:
        return run
    run.months_of_history = len(next(iter(series.values())))
    # spawn, not fork: the caller (a Dagster run) has threads, and a forked child could inherit
    # a lock held by one of them.
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        results = {key: (frame, errors) for key, frame, errors in
                   pool.map(_one, series.items(), chunksize=2)}
    base = {key: frame["yhat"].to_numpy() for key, (frame, _) in results.items()}
    bottom = tuple(sorted(k for k in series if k[0] == "region_category"))
    aggregates: dict[tuple[str, str], tuple] = {("company", "company"): bottom}
    for level, position in (("region", 0), ("category", 1)):
        for key in sorted(k for k in series if k[0] == level):
            aggregates[key] = tuple(b for b in bottom if b[1].split(SEP)[position] == key[1])
    hierarchy = Hierarchy(bottom, aggregates)
    errors = {key: results[key][1] for key in hierarchy.names}
    lengths = {len(e) for e in errors.values()}
    reconciled = reconcile(hierarchy, base, errors if len(lengths) == 1 and 0 not in lengths
                           else None)
    final = dict(reconciled.forecasts)
    channels = sorted(k for k in series if k[0] == "channel")
    if channels:
        weights = {k: float(np.var(results[k][1])) if len(results[k][1]) else
                   float(np.mean(np.abs(series[k].to_numpy()))) + 1.0 for k in channels}
        final.update(fix_parent(final[("company", "company")],
                                {k: base[k] for k in channels}, weights))
    run.reconciliation = reconciled.method
    rows = []
    for key, (frame, _) in sorted(results.items()):
        shift = final[key] - base[key]
        run.models[f"{key[0]}:{key[1]}"] = frame["model"].iloc[0]
        for i in range(len(frame)):
            rows.append((run_id, last.to_timestamp().date(), key[0], key[1],
                         frame["ds"].iloc[i].date(), float(final[key][i]),
                         *(float(frame[c].iloc[i] + shift[i]) for c in
                           ("lo80", "hi80", "lo95", "hi95")),
                         float(base[key][i]), frame["model"].iloc[i], reconciled.method))
    conn.execute("DELETE FROM forecast.revenue_forecast WHERE run_id = ?", [run_id])
    conn.executemany("INSERT INTO forecast.revenue_forecast VALUES "
                     "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP)", rows)
    metric_rows = []
    months = next(iter(series.values())).index
    for key, (frame, _) in sorted(results.items()):
        chosen = frame["model"].iloc[0]
        for record in frame.attrs["backtest"].itertuples():
            metric_rows.append((run_id, key[0], key[1], record.model,
                                months[record.origin].to_timestamp().date(), record.steps,
                                record.mase, record.rmsse, record.wape, record.smape,
                                record.skill_vs_seasonal_naive, record.model == chosen))
    conn.execute("DELETE FROM forecast.backtest_metrics WHERE run_id = ?", [run_id])
    if metric_rows:
        conn.executemany("INSERT INTO forecast.backtest_metrics VALUES "
                         "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", metric_rows)
    run.seconds = time.perf_counter() - started
    return run
