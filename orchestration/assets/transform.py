"""The dbt project as assets: `dbt build` runs models, seeds and tests; tests become checks."""

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.dbt import SalesDbtTranslator, dbt_project, ensure_manifest
from orchestration.settings import WAREHOUSE_POOL

ensure_manifest()


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=SalesDbtTranslator(),
    pool=WAREHOUSE_POOL,
)
def warehouse_dbt_assets(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    yield from dbt.cli(["build"], context=context).stream()
