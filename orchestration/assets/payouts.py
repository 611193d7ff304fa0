"""Commission payouts as a Dagster asset downstream of the marts, with the PAYOUTS.md checks
as blocking asset checks, and the job that locks a period. The rules are in models_py.payouts;
this only wires them to the warehouse and the run."""


import dagster as dg

from models_py.payouts.checks import CHECKS
from orchestration import settings
from orchestration.build_state import AUTOMATION_TAG
from orchestration.dbt import chosen_dbt_vars
from orchestration.resources import WarehouseResource
from orchestration.settings import WAREHOUSE_POOL

PAYOUTS_KEY = dg.AssetKey(["finance", "commission_payouts"])
# What the payouts read: the marts and the staging tables behind credit, quota and returns.
INPUT_KEYS = [
    dg.AssetKey(["marts", "fct_order_lines"]), dg.AssetKey(["marts", "fct_orders"]),
    dg.AssetKey(["marts", "fct_opportunities"]), dg.AssetKey(["marts", "mart_rep_kpis"]),
    dg.AssetKey(["staging", "stg_plan__quotas"]),
    dg.AssetKey(["staging", "stg_plan__commission_adjustments"]),
    dg.AssetKey(["staging", "stg_orders__returns"]),
    dg.AssetKey(["intermediate", "int_customer_first_orders"]),
    dg.AssetKey(["intermediate", "int_fx_rates_daily"]),
]
LOCK_JOB = "lock_payout_period"
EXPORT_JOB = "export_payouts"
EXPORTS_KEY = dg.AssetKey(["finance", "payout_exports"])
# One partition per month since the first month a company could have payouts for here.
PAYOUT_MONTHS = dg.MonthlyPartitionsDefinition(start_date="2020-01-01")


def reporting_currency() -> str:
    return str(chosen_dbt_vars().get("reporting_currency") or "USD").upper()


@dg.asset(
    key=PAYOUTS_KEY,
    group_name="finance",
    pool=WAREHOUSE_POOL,
    deps=INPUT_KEYS,
    kinds={"duckdb", "python"},
    description="Commission payout lines, payouts per rep and month, exceptions (PAYOUTS.md): "
    "open months recomputed, locked months copied verbatim, changes to locked months as "
    "clawbacks in the first open one.",
    check_specs=[dg.AssetCheckSpec(name, asset=PAYOUTS_KEY, blocking=True, description=text)
                 for name, text in CHECKS.items()],
)
def commission_payouts(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    from models_py.payouts.pipeline import build_payouts

    plans_dir = settings.plans_dir()
    with warehouse.connect() as conn:
        run = build_payouts(conn, plans_dir, reporting_currency(), context.run_id)
    if run.note:
        context.log.warning(run.note)
    yield dg.MaterializeResult(metadata={
        "plans": len(run.plans), "plans_folder": str(plans_dir), "lines": run.lines,
        "reps": run.reps, "periods": run.periods, "exceptions": run.exceptions,
        "seconds": round(run.seconds, 2)})
    for check in run.checks:
        yield dg.AssetCheckResult(
            check_name=check.name, passed=check.passed,
            metadata={"rows_checked": check.rows_checked,
                      "problems": "\n".join(check.problems[:20]) or "none",
                      "problem_count": len(check.problems)})


class LockConfig(dg.Config):
    period: str  # YYYY-MM
    locked_by: str = ""


@dg.op(pool=WAREHOUSE_POOL)
def lock_period_op(context: dg.OpExecutionContext, config: LockConfig,
                   warehouse: WarehouseResource) -> None:
    from models_py.payouts.statements import export_period
    from models_py.payouts.store import LockError, lock_period

    with warehouse.connect() as conn:
        try:
            done = lock_period(conn, config.period, lock_run_id=context.run_id,
                               who=config.locked_by or None)
        except LockError as exc:
            raise dg.Failure(description=str(exc)) from None
        # The locked period's exports are final: finance pays from them.
        export = export_period(conn, config.period, settings.exports_dir())
    context.log.info(f"locked {done['period']}: {done['lines']} lines, total {done['total']}; "
                     f"exports in {export.folder}")


@dg.job(name=LOCK_JOB, description="Freeze a payout period (config: period YYYY-MM): its lines "
        "never change again; later changes become clawbacks in the first open period.")
def lock_payout_period() -> None:
    lock_period_op()


@dg.asset(
    key=EXPORTS_KEY,
    group_name="finance",
    pool=WAREHOUSE_POOL,
    deps=[PAYOUTS_KEY],
    partitions_def=PAYOUT_MONTHS,
    kinds={"csv", "xlsx", "html"},
    description="Finance's files for a month under <home>/exports/finance/<YYYY-MM>/: payouts "
    "and lines as CSV and XLSX (money as numbers), and one HTML statement per rep; written "
    "atomically.",
)
def payout_exports(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    from models_py.payouts.statements import export_period

    period = context.partition_key[:7]
    with warehouse.connect(read_only=True) as conn:
        export = export_period(conn, period, settings.exports_dir())
    if not export.files:
        context.log.warning(f"no payouts for {period}: nothing exported")
    return dg.MaterializeResult(metadata={
        "folder": str(export.folder), "files": len(export.files), "reps": export.reps,
        "total_payable": float(export.total)})


export_payouts_job = dg.define_asset_job(
    EXPORT_JOB, selection=dg.AssetSelection.assets(EXPORTS_KEY), partitions_def=PAYOUT_MONTHS,
    description="Write finance's payout files for a month.")
# On the 2nd of each month, last month's files (after the nightly build has computed it).
monthly_payout_exports = dg.build_schedule_from_partitioned_job(
    export_payouts_job, hour_of_day=6, day_of_month=2, tags=dict([AUTOMATION_TAG]),
    default_status=dg.DefaultScheduleStatus.RUNNING)
