"""The dbt project as assets: `dbt build` runs models, seeds and tests; tests become checks."""

import json
import os

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.dbt import SalesDbtTranslator, dbt_project, ensure_manifest
from orchestration.settings import WAREHOUSE_POOL

ensure_manifest()

DBT_VARS_ENV = "SALES_WH_DBT_VARS"


def dbt_build_args(environ: dict[str, str] | None = None) -> list[str]:
    """`dbt build`, with the project vars (as_of_date, reporting_currency...) chosen for this
    warehouse in SALES_WH_DBT_VARS (JSON), which `sales-wh build` sets from its options."""
    environ = os.environ if environ is None else environ
    chosen = json.loads(environ.get(DBT_VARS_ENV) or "{}")
    if not chosen:
        return ["build"]
    return ["build", "--vars", json.dumps(chosen, sort_keys=True)]


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=SalesDbtTranslator(),
    pool=WAREHOUSE_POOL,
)
def warehouse_dbt_assets(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    yield from dbt.cli(dbt_build_args(), context=context).stream()
