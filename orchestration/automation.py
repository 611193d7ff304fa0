"""What runs without anyone typing `sales-wh build`: a daily build, a build when complete new
files land, and a readable note when a run fails. `sales-wh daemon` (or `sales-wh ui`) runs
them; the monthly payout exports and forecasts have their schedules beside their assets."""

import os
import time
from datetime import UTC, datetime

import dagster as dg

from orchestration import settings
from orchestration.build_state import AUTOMATION_TAG

AUTOMATION_TAGS = dict([AUTOMATION_TAG])

BUILD_ALL_JOB = "build_all"
SETTLE_ENV = "SALES_WH_SETTLE_SECONDS"
FAILURES_LOG = "failures.log"

# Every morning at 06:00 (the instance's time zone is UTC unless the daemon's TZ says so):
# last night's exports are in by then, and a build with nothing new takes seconds.
daily_build = dg.ScheduleDefinition(
    name="daily_build", job_name=BUILD_ALL_JOB, cron_schedule="0 6 * * *",
    execution_timezone="UTC", default_status=dg.DefaultScheduleStatus.RUNNING,
    tags=AUTOMATION_TAGS, description="Load what landed and rebuild every table, once a day.")


def settle_seconds() -> float:
    from ingest.arrivals import DEFAULT_SETTLE_SECONDS

    return float(os.environ.get(SETTLE_ENV, DEFAULT_SETTLE_SECONDS))


@dg.sensor(name="new_landing_files", job_name=BUILD_ALL_JOB, minimum_interval_seconds=60,
           default_status=dg.DefaultSensorStatus.RUNNING,
           description="Starts a build when complete new files are in the landing folder "
           "(not .part/.tmp uploads, not files still growing).")
def new_landing_files(context: dg.SensorEvaluationContext):
    from ingest.arrivals import dumps, loads, look

    arrivals = look(settings.landing(), loads(context.cursor), time.time(), settle_seconds())
    if not arrivals.new:
        waiting = f"; waiting for {len(arrivals.waiting)} file(s) to settle" \
            if arrivals.waiting else ""
        return dg.SensorResult(skip_reason=dg.SkipReason(f"no new complete files{waiting}"),
                               cursor=dumps(arrivals.state))
    shown = ", ".join(arrivals.new[:5]) + (" ..." if len(arrivals.new) > 5 else "")
    context.log.info(f"{len(arrivals.new)} new file(s): {shown}")
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=arrivals.run_key, tags={
            **AUTOMATION_TAGS, "sales_wh/trigger": "new_landing_files",
            "sales_wh/new_files": str(len(arrivals.new)),
            "sales_wh/first_new_file": arrivals.new[0][:200]})],
        cursor=dumps(arrivals.state))


def failure_summary(context: dg.RunFailureSensorContext) -> str:
    """What failed, in words: the run, each failed step and its cause (a data problem names
    its file and line in the cause), the failed checks, and where to look next."""
    from orchestration.summary import run_outcome

    run = context.dagster_run
    outcome = run_outcome(context.instance, run.run_id)
    lines = [f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC run {run.run_id} of job "
             f"{run.job_name} FAILED"]
    lines += [f"  step {step}: {cause}" for step, cause in outcome.failed_steps]
    lines += [f"  check {name} failed" for name in outcome.failed_checks]
    lines.append(f"  details: `sales-wh status --home {settings.home()}`, or the run in "
                 "`sales-wh ui`")
    return "\n".join(lines)


@dg.run_failure_sensor(name="report_failed_runs", default_status=dg.DefaultSensorStatus.RUNNING,
                       description="Writes a readable summary of every failed run to "
                       "<home>/logs/failures.log and the daemon's console.")
def report_failed_runs(context: dg.RunFailureSensorContext):
    summary = failure_summary(context)
    log_dir = settings.home() / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    with (log_dir / FAILURES_LOG).open("a", encoding="utf-8") as handle:
        handle.write(summary + "\n")
    print(summary, flush=True)
    context.log.error(summary)
