"""`sales-wh status`: what state a home is in, for a person who was not watching.

The last build (or build-like run) and how it ended, what failed and why, its checks, what is
running now, quarantined rows and their commonest reasons, sources without new files, locked
payout months, and which build readers see. It reads the Dagster instance and the published
copy, never the build's own file: even a read-only reader there would stop a build from
opening it, so loads, quarantine and locks are as of the last published build."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb


def describe_run(instance, run) -> list[str]:
    from dagster import DagsterEventType

    from orchestration.summary import run_outcome

    stats = instance.get_run_stats(run.run_id)
    started = (datetime.fromtimestamp(stats.start_time, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
               if stats.start_time else "not started")
    took = (f", took {stats.end_time - stats.start_time:.0f}s"
            if stats.start_time and stats.end_time else "")
    trigger = run.tags.get("sales_wh/trigger") or (
        "schedule" if "dagster/schedule_name" in run.tags else
        "sales-wh CLI" if "sales_wh/pid" in run.tags else "UI or daemon")
    outcome = run_outcome(instance, run.run_id)
    lines = [f"  last build     {run.run_id[:8]} {run.status.value}, started {started}{took} "
             f"(by {trigger})",
             f"  checks         {outcome.passed_checks} passed, {len(outcome.warned_checks)} "
             f"warned, {len(outcome.failed_checks)} failed"]
    lines += [f"  FAILED step    {step}: {cause}" for step, cause in outcome.failed_steps]
    if run.status.value in ("FAILURE", "CANCELED") and not outcome.failed_steps:
        for entry in instance.all_logs(run.run_id, of_type=DagsterEventType.RUN_FAILURE):
            lines.append(f"  FAILED run     {entry.message[:300]}")
    lines += [f"  WARNING        {name}" for name in outcome.warned_checks]
    lines += [f"  FAILED check   {name}" for name in outcome.failed_checks]
    return lines


def published_lines(published: Path, home: Path) -> list[str]:
    from ingest.freshness import staleness_of

    with duckdb.connect(str(published), read_only=True) as conn:
        build, built_at, published_at = conn.execute(
            "SELECT build_id, built_at, published_at FROM serving.build_info").fetchall()[0]
        summary = conn.execute(
            "SELECT entity, files, rows_read, rows_quarantined, last_loaded_at "
            "FROM serving.load_summary ORDER BY entity").fetchall()
        reasons = conn.execute("SELECT entity, reason, row_count FROM serving."
                               "quarantine_reasons ORDER BY row_count DESC, entity, reason "
                               "LIMIT 5").fetchall()
        locks = conn.execute("SELECT period, locked_by, locked_at FROM serving.period_locks "
                             "ORDER BY period").fetchall()
    files = sum(r[1] for r in summary)
    quarantined = sum(r[3] for r in summary)
    lines = [f"  loads          {files} files, {sum(r[2] for r in summary):,} rows read, "
             f"{quarantined:,} quarantined (as of build {build[:8]})"]
    for entity, reason, count in reasons:
        lines.append(f"    {count:>8,}  {entity}: {reason[:110]}")
    if quarantined:
        lines.append("    rows, with file and line: audit.quarantine in the warehouse")
    stale = [s for s in staleness_of([(r[0], r[4]) for r in summary], home,
                                     datetime.now(UTC).replace(tzinfo=None)) if s.stale]
    lines.append(f"  freshness      {len(stale)} source(s) without a new file within their "
                 "limit" if stale else "  freshness      every source within its limit")
    lines += [f"    {s.describe()}" for s in stale]
    lines.append("  payouts        locked: " + (", ".join(p for p, _, _ in locks)
                 + f" (last by {locks[-1][1]} at {locks[-1][2]:%Y-%m-%d %H:%M})"
                 if locks else "none"))
    lines.append(f"  published      build {build[:8]} (started {built_at:%Y-%m-%d %H:%M}), "
                 f"published {published_at:%Y-%m-%d %H:%M} UTC: {published}")
    return lines


def status_lines(home: Path) -> list[str]:
    from dagster import DagsterInstance, RunsFilter

    from models_py.serving.publish import published_path
    from orchestration.automation import BUILD_ALL_JOB
    from orchestration.build_state import unfinished_runs

    lines = [f"status of {home}"]
    with DagsterInstance.get() as instance:
        builds = instance.get_runs(filters=RunsFilter(job_name=BUILD_ALL_JOB), limit=1)
        lines += describe_run(instance, builds[0]) if builds else ["  last build     none"]
        for run in unfinished_runs(instance):
            lines.append(f"  running now    {run.run_id[:8]} {run.job_name} "
                         f"({run.status.value})")
    published = published_path(home)
    if not published.exists():
        lines.append("  published      nothing yet (no build has passed every check)")
        return lines
    try:
        lines += published_lines(published, home)
    except duckdb.Error as exc:
        lines.append(f"  published      unreadable: {str(exc).splitlines()[0][:160]}")
    return lines
