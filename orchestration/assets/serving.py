"""The published copy for readers, as the last asset of a build (and of a forecast run).

It runs only when everything upstream of it in the run succeeded and every check of the run
passed, so a failed build leaves the previous published copy in place."""

from datetime import UTC, datetime, timedelta

import dagster as dg

from orchestration import settings
from orchestration.assets.forecast import pipeline_forecast, revenue_forecast
from orchestration.assets.payouts import commission_payouts
from orchestration.assets.scoring import lead_scores, win_probabilities
from orchestration.assets.transform import warehouse_dbt_assets
from orchestration.settings import WAREHOUSE_POOL

PUBLISHED_KEY = dg.AssetKey(["serving", "published_warehouse"])


@dg.asset(
    key=PUBLISHED_KEY,
    group_name="serving",
    pool=WAREHOUSE_POOL,  # reads the build's file: no writer may hold it meanwhile
    deps=[warehouse_dbt_assets, commission_payouts, revenue_forecast, pipeline_forecast,
          lead_scores, win_probabilities],
    kinds={"duckdb", "parquet"},
    # Readers' data is built daily: a copy older than a day and a bit is flagged in the UI
    # (warn), older than two days fails its freshness (the daily build is not succeeding).
    freshness_policy=dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=50),
                                                    warn_window=timedelta(hours=26)),
    description="The copy of the BI-facing schemas (marts, forecast, finance) that readers "
    "query: <home>/serving/warehouse.duckdb, replaced atomically after a clean build, and one "
    "Parquet file per table under <home>/serving/parquet/<schema>/<table>.parquet.",
)
def published_warehouse(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    from models_py.serving.publish import PublishRefused, publish
    from orchestration.summary import run_outcome

    # A blocking check stops what depends on it; any failed error-severity check of the run
    # stops publishing too (readers get only builds that passed everything).
    failed = run_outcome(context.instance, context.run_id).failed_checks
    if failed:
        raise dg.Failure(description=f"not published: {len(failed)} check(s) failed ("
                         f"{', '.join(sorted(failed)[:5])}); the previous published copy stays")
    started = context.instance.get_run_stats(context.run_id).start_time or 0.0
    try:
        published = publish(settings.warehouse_path(), settings.home(), context.run_id,
                            datetime.fromtimestamp(started, UTC))
    except PublishRefused as refused:
        raise dg.Failure(description=f"not published: {refused}") from refused
    spark = {}
    if settings.engine() == "spark":
        spark = {"written_back_to_spark": _write_back_to_spark()}
    return dg.MaterializeResult(metadata={
        **spark,
        "tables_and_rows": dg.MetadataValue.md("\n".join(
            ["| table | rows |", "|---|---:|"]
            + [f"| {name} | {rows:,} |" for name, rows in sorted(published.tables.items())])),
        "preview": dg.MetadataValue.md(published.preview),
        "path": dg.MetadataValue.path(str(published.path)),
        "parquet": dg.MetadataValue.path(str(published.parquet_dir)),
        "build_id": published.build_id,
        "tables": len(published.tables),
        "rows": sum(published.tables.values()),
        "seconds": round(published.seconds, 2),
    })


def _write_back_to_spark() -> int:
    """On Spark, what the Python assets wrote goes back to Spark too: Parquet folders in the
    lake, registered as Spark tables (models_py/engines.py). Returns the tables written."""
    from ingest.warehouse import connect
    from models_py.engines import results_to_lake
    from orchestration.dbt import DbtCli, dbt_executable, dbt_project
    from orchestration.spark import DBT_TARGETS, announce_lake_results

    with connect(settings.warehouse_path(), read_only=True) as conn:
        written = results_to_lake(conn, settings.lake_dir())
    announce_lake_results(settings.lake_dir())
    DbtCli(project_dir=dbt_project, dbt_executable=dbt_executable()).cli(
        ["run-operation", "register_lake_results", "--target", DBT_TARGETS["spark"]],
        # not the build's folder: its run_results.json is the build's
        target_path=settings.home() / "dbt_target_spark_operations", raise_on_error=True,
    ).wait()
    return len(written)
