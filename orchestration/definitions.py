"""The `orchestration` code location: every asset, check, resource and job of the warehouse."""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg

from orchestration.assets.forecast import (
    FORECAST_KEY,
    PIPELINE_KEY,
    forecast_revenue_job,
    monthly_forecast,
    pipeline_forecast,
    revenue_forecast,
)
from orchestration.assets.ingest import ingest_assets
from orchestration.assets.mart_checks import mart_suites
from orchestration.assets.payouts import (
    EXPORTS_KEY,
    commission_payouts,
    export_payouts_job,
    lock_payout_period,
    monthly_payout_exports,
    payout_exports,
)
from orchestration.assets.scoring import (
    LEAD_SCORES_KEY,
    WIN_PROBABILITIES_KEY,
    lead_scores,
    monthly_scores,
    score_leads_job,
    win_probabilities,
)
from orchestration.assets.serving import published_warehouse
from orchestration.assets.transform import warehouse_dbt_assets
from orchestration.automation import (
    BUILD_ALL_JOB,
    daily_build,
    new_landing_files,
    report_failed_runs,
)
from orchestration.dbt import DbtCli, dbt_executable, dbt_project
from orchestration.resources import warehouse_resource
from orchestration.settings import export_env

__all__ = ["BUILD_ALL_JOB", "build_definitions", "defs"]


def build_definitions(loggers: Mapping[str, dg.LoggerDefinition] | None = None) -> dg.Definitions:
    export_env()
    return dg.Definitions(
        assets=[*ingest_assets, warehouse_dbt_assets, commission_payouts, payout_exports,
                revenue_forecast, pipeline_forecast, lead_scores, win_probabilities,
                published_warehouse],
        asset_checks=[mart_suites],
        jobs=[dg.define_asset_job(
                  BUILD_ALL_JOB,
                  # The monthly payout files, the forecasts and the scores are jobs of
                  # their own.
                  selection=dg.AssetSelection.all()
                  - dg.AssetSelection.assets(EXPORTS_KEY, FORECAST_KEY, PIPELINE_KEY,
                                             LEAD_SCORES_KEY, WIN_PROBABILITIES_KEY),
                  description="Load new landing files and rebuild every table."),
              lock_payout_period, export_payouts_job, forecast_revenue_job, score_leads_job],
        schedules=[daily_build, monthly_payout_exports, monthly_forecast, monthly_scores],
        sensors=[new_landing_files, report_failed_runs],
        resources={
            "warehouse": warehouse_resource(),
            "dbt": DbtCli(project_dir=dbt_project, dbt_executable=dbt_executable()),
        },
        loggers=dict(loggers) if loggers else None,
    )


defs = build_definitions()
