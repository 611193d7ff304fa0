"""The dbt project as Dagster sees it: manifest preparation and asset keys.

Asset keys are `[schema, name]` (`["marts", "mart_rep_kpis"]`); dbt sources map onto the
ingest assets (`["raw", "crm__reps"]`), so lineage runs from landing files to marts.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from functools import cached_property
from importlib.metadata import version
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
)
from packaging.version import Version

from orchestration.dbt_process import WAREHOUSE_ENV
from orchestration.settings import DBT_PROJECT_DIR, DBT_VARS_ENV, PROJECT_ROOT, warehouse_path

DBT_INPUTS = ("models", "macros", "seeds", "tests", "snapshots", "dbt_project.yml")

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def dbt_executable() -> str:
    """`sales-wh-dbt` (dbt run from the warehouse's folder, orchestration/dbt_process.py),
    installed beside the running interpreter. cron, systemd and CI call `.venv/bin/sales-wh`
    by its path with no activated environment, so PATH cannot be trusted to lead to it (and
    may lead to another install); PATH is only the fallback."""
    name = "sales-wh-dbt.exe" if sys.platform == "win32" else "sales-wh-dbt"
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} is not installed beside {sys.executable} nor on PATH; "
                           "run `make install` (uv sync) in the project")
    return found


def chosen_dbt_vars(environ: Mapping[str, str] | None = None) -> dict[str, object]:
    """The project vars (as_of_date, reporting_currency...) chosen for this warehouse in
    SALES_WH_DBT_VARS (JSON), which `sales-wh build` sets from its options."""
    environ = os.environ if environ is None else environ
    return json.loads(environ.get(DBT_VARS_ENV) or "{}")


def dbt_vars(environ: Mapping[str, str] | None = None) -> dict[str, object]:
    """The vars every dbt process of a build gets: the project vars chosen for this warehouse
    and a digest of the
    project's files (`sales_wh_code`): an incremental model whose rows were computed by other
    code (a macro changed) is rebuilt whole (macros/incremental_orders.sql)."""
    from orchestration.nothing_new import dbt_code_digest

    return {**chosen_dbt_vars(environ), "sales_wh_code": dbt_code_digest(PROJECT_ROOT)}


def vars_arg(variables: Mapping[str, object]) -> list[str]:
    # Sorted keys: dbt compares the vars of a run with those its saved parse was made with.
    return ["--vars", json.dumps(variables, sort_keys=True)]


class DbtCli(DbtCliResource):
    """dagster-dbt's dbt resource without two start-up costs these assets never use (~6 s of
    every build): `dbt --version` run in a subprocess to learn the version (2.2 s; the
    installed dbt-core is the one pinned in uv.lock), and an in-process dbt adapter (3.7 s),
    which dagster-dbt needs only to fetch row counts or column metadata."""

    @cached_property
    def _cli_version(self) -> Version:
        return Version(version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> Any:
        return None


def manifest_is_stale() -> bool:
    manifest = dbt_project.manifest_path
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    for name in DBT_INPUTS:
        path = DBT_PROJECT_DIR / name
        candidates = [path] if path.is_file() else (path.rglob("*") if path.exists() else [])
        if any(p.stat().st_mtime > built for p in candidates):
            return True
    return False


def ensure_manifest() -> None:
    """Parse the dbt project when the manifest is missing or older than its sources (~5 s).

    The parse is made as a default build's dbt would make it (same vars, the warehouse named
    by its file name, the machine's memory limit), so dagster-dbt's copy of its
    partial_parse.msgpack into a new home's target folder spares that home's first build a
    full parse (see orchestration/dbt_process.py)."""
    if not manifest_is_stale():
        return
    from ingest.warehouse import MEMORY_LIMIT_ENV, memory_limit

    saved = {name: os.environ.get(name) for name in (WAREHOUSE_ENV, MEMORY_LIMIT_ENV)}
    os.environ[WAREHOUSE_ENV] = str(warehouse_path())
    os.environ[MEMORY_LIMIT_ENV] = memory_limit()
    try:
        # Not dbt_project.preparer: it starts whichever `dbt` PATH finds (see dbt_executable).
        DbtCli(project_dir=dbt_project, dbt_executable=dbt_executable()).cli(
            ["parse", "--quiet", *vars_arg(dbt_vars())], target_path=dbt_project.target_path,
            raise_on_error=True,
        ).wait()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class SalesDbtTranslator(DagsterDbtTranslator):
    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey(
                ["raw", f"{dbt_resource_props['source_name']}__{dbt_resource_props['name']}"]
            )
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return dbt_resource_props["schema"]
