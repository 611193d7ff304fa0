"""Lead scores and deal win probabilities as Dagster assets with their checks, in a job of
their own with a monthly schedule (beside the forecasts: the models are retrained when a month
has closed, or on demand with `sales-wh score`)."""

from collections.abc import Callable, Iterator

import dagster as dg

from models_py.scoring.checks import CHECK_NAMES
from orchestration.build_state import AUTOMATION_TAG
from orchestration.resources import WarehouseResource
from orchestration.settings import WAREHOUSE_POOL

LEAD_SCORES_KEY = dg.AssetKey(["scoring", "lead_scores"])
WIN_PROBABILITIES_KEY = dg.AssetKey(["scoring", "win_probabilities"])
SCORE_JOB = "score_leads"


def _check_specs(key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    return [dg.AssetCheckSpec(name, asset=key, blocking=name == "scores_are_probabilities")
            for name in CHECK_NAMES]


def _report(trained, scored: int, seconds: float, checks) -> Iterator:
    model, base = trained.candidates["model"], trained.candidates[trained.baseline]
    yield dg.MaterializeResult(metadata={
        "scored_by": trained.chosen, "rows_scored": scored,
        "test_from": str(trained.periods.test_from), "test_rows": len(trained.periods.test),
        "auc": round(model.auc or 0, 4), f"auc_{trained.baseline}": round(base.auc or 0, 4),
        "brier": round(model.brier, 5), f"brier_{trained.baseline}": round(base.brier, 5),
        "alpha": trained.fit.alpha, "seconds": round(seconds, 1)})
    for check in checks:
        yield dg.AssetCheckResult(
            check_name=check.name, passed=check.passed,
            severity=dg.AssetCheckSeverity.WARN if check.warn_only else
            dg.AssetCheckSeverity.ERROR,
            metadata={"problems": "\n".join(check.problems[:20]) or "none"})


def _skipped(why: str) -> Iterator:
    """Too little history for a model: nothing is written, the run goes on (a company with
    deals but no leads still gets its win probabilities), and every check says why."""
    yield dg.MaterializeResult(metadata={"skipped": why})
    for name in CHECK_NAMES:
        yield dg.AssetCheckResult(check_name=name, passed=False,
                                  severity=dg.AssetCheckSeverity.WARN,
                                  metadata={"problems": f"not scored: {why}"})


def _score(context: dg.AssetExecutionContext, warehouse: WarehouseResource, what: str,
           score: Callable, store: Callable, scored_ids: Callable) -> Iterator:
    """One model's run: score as of the warehouse's as-of day, check, store when no blocking
    check failed, report. `scored_ids` names the scored rows, for the checks' messages."""
    from models_py.scoring.checks import run_checks
    from models_py.scoring.training import NotEnoughHistory

    with warehouse.connect() as conn:
        as_of = conn.execute("SELECT as_of_date FROM intermediate.int_as_of_date"
                             ).fetchall()[0][0]
        try:
            scoring = score(conn, as_of)
        except NotEnoughHistory as exc:
            yield from _skipped(f"no {what} as of {as_of}: {exc}")
            return
        ids = scored_ids(scoring)
        checks = run_checks(scoring.trained, ids)
        if all(c.passed or c.warn_only for c in checks):
            store(conn, context.run_id, scoring)
    yield from _report(scoring.trained, len(ids), scoring.seconds, checks)


@dg.asset(
    key=LEAD_SCORES_KEY,
    group_name="scoring",
    pool=WAREHOUSE_POOL,
    deps=[dg.AssetKey(["staging", "stg_crm__leads"]),
          dg.AssetKey(["staging", "stg_crm__activities"]),
          dg.AssetKey(["marts", "fct_opportunities"]),
          dg.AssetKey(["marts", "mart_lead_funnel"])],
    kinds={"duckdb", "python", "statsmodels"},
    description="Every lead's chance to become a won deal within 90 days of arrival "
    "(calibrated ridge logistic regression on source, campaign, account, first-14-day "
    "activity and month), measured on the newest leads against the base rate and conversion "
    "by source; marts.mart_lead_scores and marts.mart_lead_funnel_by_score from the newest "
    "run, every run kept in schema scoring.",
    check_specs=_check_specs(LEAD_SCORES_KEY),
)
def lead_scores(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    from models_py.scoring.leads import score_leads, store

    yield from _score(context, warehouse, "lead scores", score_leads, store,
                      lambda scoring: scoring.frame.lead_id.tolist())


@dg.asset(
    key=WIN_PROBABILITIES_KEY,
    group_name="scoring",
    pool=WAREHOUSE_POOL,
    deps=[dg.AssetKey(["marts", "fct_opportunities"]),
          dg.AssetKey(["staging", "stg_crm__opportunity_stage_history"]),
          dg.AssetKey(["intermediate", "int_customer_first_orders"])],
    kinds={"duckdb", "python", "statsmodels"},
    description="Every open opportunity's chance to be won within 180 days (stage, days in "
    "stage, age, amount as known then, the owner's trailing win rate, new or existing "
    "customer, product category), learned from monthly replays of past deals, deals held out "
    "by creation date, measured against the win rate by stage; marts.fct_opportunities shows "
    "the newest run's probability beside the CRM's (from the next build).",
    check_specs=_check_specs(WIN_PROBABILITIES_KEY),
)
def win_probabilities(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    from models_py.scoring.deals import score_deals, store

    yield from _score(context, warehouse, "win probabilities", score_deals, store,
                      lambda scoring: scoring.today.opportunity_id.tolist())


# The scores, then the published copy again (assets/serving.py), so readers see them.
score_leads_job = dg.define_asset_job(
    SCORE_JOB, selection=dg.AssetSelection.assets(
        LEAD_SCORES_KEY, WIN_PROBABILITIES_KEY, dg.AssetKey(["serving", "published_warehouse"])),
    description="Score every lead and open deal (run on demand with `sales-wh score`).")
# The 3rd of each month, after the month's last leads and deals are loaded, and before the
# monthly forecast (05:00), whose pipeline forecast prices open deals by these probabilities.
monthly_scores = dg.ScheduleDefinition(job=score_leads_job, cron_schedule="30 4 3 * *",
                                       tags=dict([AUTOMATION_TAG]),
                                       default_status=dg.DefaultScheduleStatus.RUNNING)
