"""Revenue forecasts as a Dagster asset with its checks, its own job and a monthly schedule.
Not part of `build_all`: a forecast is made when a month has closed (or on demand with
`sales-wh forecast`), not on every load."""

import base64

import dagster as dg

from models_py.files import atomic_write
from models_py.forecasting.checks import CHECK_NAMES
from orchestration import settings
from orchestration.assets.scoring import WIN_PROBABILITIES_KEY
from orchestration.build_state import AUTOMATION_TAG
from orchestration.resources import WarehouseResource
from orchestration.settings import WAREHOUSE_POOL

FORECAST_KEY = dg.AssetKey(["forecast", "revenue_forecast"])
PIPELINE_KEY = dg.AssetKey(["forecast", "pipeline_forecast"])
FORECAST_JOB = "forecast_revenue"


@dg.asset(
    key=FORECAST_KEY,
    group_name="forecast",
    pool=WAREHOUSE_POOL,
    deps=[dg.AssetKey(["marts", "fct_order_lines"]), dg.AssetKey(["marts", "dim_customer"])],
    kinds={"duckdb", "python", "statsmodels"},
    description="Monthly net revenue forecasts, 12 months ahead with 80/95 % intervals, of "
    "the company, regions, channels, categories and region x category, reconciled so children "
    "sum to parents; every run kept (run_id, trained_through).",
    check_specs=[dg.AssetCheckSpec(name, asset=FORECAST_KEY, blocking=True)
                 for name in CHECK_NAMES],
)
def revenue_forecast(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    from models_py.forecasting.chart import fan_chart_svg
    from models_py.forecasting.checks import run_checks
    from models_py.forecasting.revenue import forecast_revenue
    from models_py.forecasting.targets import forecast_vs_target

    with warehouse.connect() as conn:
        run = forecast_revenue(conn, context.run_id)
        months_with_targets = forecast_vs_target(conn, context.run_id)
        checks = run_checks(conn, context.run_id)
        company = conn.execute(
            "SELECT month, yhat, lo80, hi80, lo95, hi95 FROM forecast.revenue_forecast "
            "WHERE run_id = ? AND level = 'company' ORDER BY month", [context.run_id]).fetchall()
    table = "\n".join(f"| {m} | {y:,.0f} | {a:,.0f} – {b:,.0f} | {c:,.0f} – {d:,.0f} |"
                      for m, y, a, b, c, d in company)
    svg = fan_chart_svg(
        f"Company net revenue, trained through {run.trained_through}",
        [(str(month), float(value)) for month, value in run.company_history.items()]
        if run.company_history is not None else [],
        [(f"{m:%Y-%m}", *values) for m, *values in company])
    chart = settings.exports_dir("forecast") / "company_fan_chart.svg"
    atomic_write(chart, lambda path: path.write_text(svg, encoding="utf-8"))
    encoded = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    yield dg.MaterializeResult(metadata={
        "series": run.series, "trained_through": str(run.trained_through),
        "months_of_history": run.months_of_history, "reconciliation": run.reconciliation,
        "seconds": round(run.seconds, 1), "months_with_targets": months_with_targets,
        "fan_chart": dg.MetadataValue.md(f"![fan chart](data:image/svg+xml;base64,{encoded})"),
        "fan_chart_file": dg.MetadataValue.path(str(chart)),
        "company_forecast": dg.MetadataValue.md(
            "| month | forecast | 80 % | 95 % |\n|---|---|---|---|\n" + table)})
    for check in checks:
        yield dg.AssetCheckResult(
            check_name=check.name, passed=check.passed,
            metadata={"problems": "\n".join(check.problems[:20]) or "none",
                      "warnings": "\n".join(check.warnings[:40]) or "none"})


@dg.asset(
    key=PIPELINE_KEY,
    group_name="forecast",
    pool=WAREHOUSE_POOL,
    # The win probabilities of a scoring run as of the same day price the open deals; the
    # monthly scores run before the monthly forecast (assets/scoring.py).
    deps=[dg.AssetKey(["marts", "fct_opportunities"]),
          dg.AssetKey(["staging", "stg_crm__opportunity_stage_history"]),
          WIN_PROBABILITIES_KEY],
    kinds={"duckdb", "python"},
    description="Bookings of the current and next quarter: closed-won so far + open deals at "
    "the deal model's win probabilities (scored as of the same day) or else win rates learned "
    "from the stage history + business not in the pipeline yet, P10/P50/P90 by a seeded "
    "Monte Carlo; backtested on past quarters both ways (forecast.pipeline_backtest).",
    check_specs=[dg.AssetCheckSpec("quantiles_ordered", asset=PIPELINE_KEY, blocking=True)],
)
def pipeline_forecast(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    from models_py.forecasting.pipeline import pipeline_run

    with warehouse.connect() as conn:
        quarters, backtest, scoring_run = pipeline_run(conn, context.run_id)
    by_method: dict[str, list] = {}
    for row in backtest:
        by_method.setdefault(row.method, []).append(row)
    backtested = {}
    for method, rows in by_method.items():
        errors = [abs(row.error_pct) for row in rows if row.error_pct is not None]
        backtested[f"backtest_{method}_mean_abs_error_pct"] = (
            round(sum(errors) / len(errors), 1) if errors else None)
        backtested[f"backtest_{method}_inside_p10_p90"] = sum(r.inside_p10_p90 for r in rows)
    yield dg.MaterializeResult(metadata={
        **{f"{q.quarter}_p50": round(q.p50) for q in quarters},
        "open_deals_priced_by_win_probability": quarters[0].priced_by_model,
        "scoring_run": scoring_run or "none as of this day: priced by stage-and-age rates",
        "backtest_quarters": len({row.quarter for row in backtest}),
        **backtested})
    disordered = [q.quarter for q in quarters if not q.p10 <= q.p50 <= q.p90]
    yield dg.AssetCheckResult(check_name="quantiles_ordered", passed=not disordered,
                              metadata={"problems": ", ".join(disordered) or "none"})


# The forecasts, then the published copy again (assets/serving.py), so readers see them.
forecast_revenue_job = dg.define_asset_job(
    FORECAST_JOB, selection=dg.AssetSelection.assets(
        FORECAST_KEY, PIPELINE_KEY, dg.AssetKey(["serving", "published_warehouse"])),
    description="Forecast monthly net revenue (run on demand with `sales-wh forecast`).")
# The 3rd of each month, when last month has closed and been loaded.
monthly_forecast = dg.ScheduleDefinition(job=forecast_revenue_job, cron_schedule="0 5 3 * *",
                                       tags=dict([AUTOMATION_TAG]),
                                       default_status=dg.DefaultScheduleStatus.RUNNING)
