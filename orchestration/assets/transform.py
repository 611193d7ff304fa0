"""The dbt project as assets: `dbt build` runs models, seeds and tests; tests become checks."""

import os
import re
import signal
import subprocess

import dagster as dg
from dagster_dbt import DbtCliInvocation, DbtCliResource, dbt_assets

from orchestration import settings
from orchestration.dbt import (
    SalesDbtTranslator,
    dbt_project,
    dbt_vars,
    ensure_manifest,
    vars_arg,
)
from orchestration.interrupts import interrupted, stop_if_interrupted
from orchestration.settings import DBT_FULL_REFRESH_ENV, WAREHOUSE_POOL
from orchestration.spark import DBT_TARGETS, ENGINE_ENV, announce_lake_results

ensure_manifest()

# dbt statuses of a node that did not do its job.
FAILED_STATUSES = ("error", "fail", "runtime error")
ANSI_CODES = re.compile(r"\x1b\[[0-9;]*m")


def dbt_build_args(environ: dict[str, str] | None = None) -> list[str]:
    """`dbt build`, with the build's vars (orchestration.dbt.dbt_vars) and --full-refresh
    when asked for."""
    environ = os.environ if environ is None else environ
    args = ["build"]
    if environ.get(DBT_FULL_REFRESH_ENV) == "1":
        args.append("--full-refresh")
    if environ.get(ENGINE_ENV) == "spark":
        args += ["--target", DBT_TARGETS["spark"]]
    return [*args, *vars_arg(dbt_vars(environ))]


def expose_spark_build(context: dg.AssetExecutionContext) -> None:
    """After dbt on Spark: dbt's schemas in the DuckDB warehouse become views over Spark's
    tables, for the Python assets, the mart suites and the published copy
    (models_py/engines.py)."""
    from ingest.warehouse import connect
    from models_py.engines import expose_spark_tables

    with connect(settings.warehouse_path()) as conn:
        exposed = expose_spark_tables(conn, settings.spark_dir() / "warehouse")
    context.log.info(f"{exposed.views} Spark tables readable from DuckDB"
                     + (f"; dropped what Spark did not build: {', '.join(exposed.dropped)}"
                        if exposed.dropped else ""))


def drop_views_of_a_spark_build(context: dg.AssetExecutionContext) -> None:
    """Back on DuckDB after a build on Spark: dbt's tables replace the views over Spark's."""
    from ingest.warehouse import connect
    from models_py.engines import drop_spark_views

    if not settings.warehouse_path().exists():
        return
    with connect(settings.warehouse_path()) as conn:
        dropped = drop_spark_views(conn)
    if dropped:
        context.log.info(f"dropped {dropped} views over a Spark build's tables")


def sync_lake_for_spark(context: dg.AssetExecutionContext) -> None:
    """On Spark, the raw rows reach dbt through the Parquet lake: mirror raw there first;
    and the files of Spark's tables go, as every table is made again (models_py/engines.py
    says why)."""
    from ingest.lake import sync_lake
    from ingest.warehouse import connect
    from models_py.engines import clear_spark_tables

    cleared = clear_spark_tables(settings.spark_dir() / "warehouse")
    context.log.info(f"removed the files of {cleared} Spark tables, to be built again")
    with connect(settings.warehouse_path()) as conn:
        synced = sync_lake(conn, settings.lake_dir())
    context.log.info(
        f"lake {settings.lake_dir()}: {len(synced.written)} load(s) written, "
        f"{len(synced.removed)} removed, {synced.tables} tables, {synced.seconds:.1f}s")


def stop_dbt(invocation: DbtCliInvocation, seconds: float = 30.0) -> None:
    """End the dbt process and wait for it: while it lives it holds the warehouse file, and
    whatever runs next (the summary, the next build) could not open it."""
    process = invocation.process
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)  # dbt cancels its queries and exits on SIGINT
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def failed_nodes(invocation: DbtCliInvocation) -> list[str]:
    """`<resource> <name>: <message>` for every node dbt reports as failed."""
    try:
        results = invocation.get_artifact("run_results.json")["results"]
    except (OSError, ValueError, KeyError):
        return []
    failed = []
    for result in results:
        if result.get("status") in FAILED_STATUSES:
            kind, _, name = result["unique_id"].partition(".")
            name = name.partition(".")[2]
            message = ANSI_CODES.sub("", " ".join(str(result.get("message") or "").split()))
            message = message[:300]
            failed.append(f"{kind} {name}: {message}")
    return failed


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=SalesDbtTranslator(),
    pool=WAREHOUSE_POOL,
)
def warehouse_dbt_assets(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    stop_if_interrupted()
    spark = settings.engine() == "spark"
    if spark:
        sync_lake_for_spark(context)
        announce_lake_results(settings.lake_dir())
    else:
        drop_views_of_a_spark_build(context)
    # dbt's artifacts in the home, not the project: its partial-parse cache is only valid for
    # one warehouse path (the profile), so a cache per home is reused build after build
    # instead of a full parse each time (~4 s).
    invocation = dbt.cli(dbt_build_args(), context=context, raise_on_error=False,
                         target_path=settings.home() / ("dbt_target_spark" if spark
                                                        else "dbt_target"))
    try:
        for event in invocation.stream():
            if interrupted():
                break  # Ctrl-C: the finally below stops dbt
            yield event
    finally:
        stop_dbt(invocation)
    stop_if_interrupted()
    if not invocation.is_successful():
        failed = failed_nodes(invocation)
        log = invocation.target_path / "dbt.log"
        raise dg.Failure(
            description=(f"dbt build failed ({len(failed)} node(s)): " + "; ".join(failed[:5])
                         if failed else "dbt build failed: " + str(invocation.get_error()))
            + f" (dbt log: {log})",
            metadata={"failed_nodes": failed, "dbt_log": str(log)},
        )
    if spark:
        expose_spark_build(context)
