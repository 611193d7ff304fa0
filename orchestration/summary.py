"""The closing summary of `sales-wh build`: what the run did (files, checks, each failed step
with its cause) and what it left in the warehouse."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration import settings

REPORTED_SCHEMAS = ("raw", "audit", "staging", "intermediate", "marts", "forecast", "finance")


@dataclass(frozen=True)
class TableCount:
    schema: str
    table: str
    rows: int


@contextmanager
def open_when_free(warehouse: Path, seconds: float = 30.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection; waits while a writer that is finishing (a dbt process that
    failed a moment ago) still holds the file."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            conn = duckdb.connect(str(warehouse), read_only=True)
            break
        except duckdb.IOException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    try:
        yield conn
    finally:
        conn.close()


def table_counts(warehouse: Path) -> list[TableCount]:
    if not warehouse.exists():
        return []
    with open_when_free(warehouse) as conn:
        tables = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_catalog = current_database() AND table_schema IN "
            f"({', '.join(repr(s) for s in REPORTED_SCHEMAS)}) ORDER BY 1, 2"
        ).fetchall()
        counts = []
        for schema, table in tables:
            rows = conn.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchall()[0][0]
            counts.append(TableCount(schema, table, int(rows)))
    return counts


def format_counts(counts: list[TableCount]) -> list[str]:
    lines = []
    for schema in REPORTED_SCHEMAS:
        in_schema = [c for c in counts if c.schema == schema]
        if not in_schema:
            continue
        total = sum(c.rows for c in in_schema)
        lines.append(f"  {schema:<13} {len(in_schema):>3} tables {total:>13,} rows")
        if schema in ("marts", "audit"):
            lines += [f"    {c.table:<40} {c.rows:>13,}" for c in in_schema]
    return lines


def report(result, started: float) -> int:
    """Print the closing summary of a build; its exit code (1 when a step or check failed)."""
    from dagster import AssetCheckSeverity

    evaluations = result.get_asset_check_evaluations()
    # A check of severity WARN (dbt tests with severity: warn, e.g. orphan order lines) is
    # reported, and does not fail the build: the rows it lists are kept and flagged.
    failed = [e for e in evaluations if not e.passed and e.severity != AssetCheckSeverity.WARN]
    warned = [e for e in evaluations if not e.passed and e.severity == AssetCheckSeverity.WARN]
    files = {"files_loaded": 0, "files_skipped_duplicate": 0, "files_rejected": 0,
             "rows_read": 0, "rows_loaded": 0, "rows_quarantined": 0, "rows_skipped": 0}
    for event in result.get_asset_materialization_events():
        metadata = event.materialization.metadata
        for name in files:
            if name in metadata:
                files[name] += int(metadata[name].value)
    print("\nsummary")
    print(f"  run            {result.run_id}  {'succeeded' if result.success else 'FAILED'}")
    print(f"  ingest         {files['files_loaded']} files loaded, "
          f"{files['files_skipped_duplicate']} already loaded, {files['files_rejected']} rejected;"
          f" {files['rows_read']:,} rows read = {files['rows_loaded']:,} loaded + "
          f"{files['rows_quarantined']:,} quarantined"
          + (f" + {files['rows_skipped']:,} skipped (not records of their entity: profile "
             "only_rows_with)" if files["rows_skipped"] else ""))
    print(f"  checks         {len(evaluations) - len(failed) - len(warned)} passed, "
          f"{len(warned)} warned, {len(failed)} failed")
    for evaluation in warned:
        print(f"    WARNING {evaluation.asset_key.to_user_string()} :: {evaluation.check_name}"
              f"{check_detail(evaluation)}")
    problems = stated_problems(settings.warehouse_path(), [e.check_name for e in failed])
    for evaluation in failed:
        print(f"    FAILED {evaluation.asset_key.to_user_string()} :: {evaluation.check_name}")
        for problem in problems.get(evaluation.check_name, []):
            print(f"      {problem}")
    for step, cause in step_failures(result):
        print(f"  FAILED step     {step}: {cause}")
    try:
        counts = table_counts(settings.warehouse_path())
    except duckdb.Error as exc:  # never a traceback: say what is wrong and go on
        print(f"  tables         not counted: {str(exc).splitlines()[0]}")
        counts = []
    for line in format_counts(counts):
        print(line)
    print(published_line(result))
    print(f"  full log       {settings.home() / 'logs' / 'build.log'}")
    print(f"  elapsed        {time.perf_counter() - started:.1f}s")
    return 0 if result.success and not failed else 1


def published_line(result) -> str:
    """Where readers find this build, or which earlier build they still see."""
    from models_py.serving.publish import published_build, published_path

    try:
        current = published_build(settings.home())
    except duckdb.Error as exc:
        return f"  published      unreadable: {str(exc).splitlines()[0]}"
    if current and current[0] == result.run_id:
        return (f"  published      {published_path(settings.home())} "
                f"(+ parquet/), build {result.run_id[:8]}")
    if current:
        return (f"  published      NOT this build: readers still see build {current[0][:8]}, "
                f"published {current[2]:%Y-%m-%d %H:%M} UTC")
    return "  published      nothing yet: no build has passed every check"


def stated_problems(warehouse: Path, check_names: list[str],
                    limit: int = 5) -> dict[str, list[str]]:
    """What a failed test says is wrong, in its own words: dbt tests that explain themselves
    return a `problem` column and keep their failing rows as a view in `audit` (store_failures),
    e.g. reps_are_delivered: "no reps were delivered: deliver crm/reps ...". Tests without one
    (a unique key, a relationship) are named only."""
    if not check_names or not warehouse.exists():
        return {}
    found: dict[str, list[str]] = {}
    try:
        with open_when_free(warehouse) as conn:
            explained = {name for (name,) in conn.execute(
                "SELECT table_name FROM information_schema.columns WHERE table_schema = "
                "'audit' AND column_name = 'problem'").fetchall()}
            for name in check_names:
                if name in explained:
                    rows = [str(problem) for (problem,) in conn.execute(
                        f'SELECT DISTINCT problem FROM audit."{name}" WHERE problem IS NOT '
                        "NULL ORDER BY 1").fetchall()]
                    found[name] = rows[:limit] + (
                        [f"(and {len(rows) - limit} more: SELECT * FROM audit.{name})"]
                        if len(rows) > limit else [])
    except duckdb.Error:  # the summary never fails on its way to saying what happened
        return found
    return found


def check_detail(evaluation) -> str:
    """`: N rows` for a dbt test check that counted failing rows."""
    rows = evaluation.metadata.get("dagster_dbt/failed_row_count")
    return f": {rows.value} row(s)" if rows is not None else ""


def error_cause(error) -> str:
    """The innermost error's message, on one line: Dagster wraps the exception an op raised
    ("Error occurred while executing op ..."), and the wrapper says nothing useful."""
    if error is None:
        return "unknown error"
    while error.cause is not None:
        error = error.cause
    message = " ".join(error.message.split())
    # A Failure the step raised on purpose carries its own words; its class path is noise.
    return message.removeprefix("dagster._core.definitions.events.Failure: ")[:600]


def step_failures(result) -> list[tuple[str, str]]:
    """(step, cause) of each failed step: the exception's message, first lines only."""
    causes = []
    for event in result.all_events:
        if event.is_step_failure:
            causes.append((event.step_key, error_cause(event.step_failure_data.error)))
    return causes


@dataclass
class RunOutcome:
    """How a recorded run went, from the instance's event log: what `sales-wh status`, the
    failure sensor and the publish step each need to know."""

    failed_steps: list[tuple[str, str]]  # (step, cause)
    passed_checks: int
    warned_checks: list[str]  # "asset :: check"
    failed_checks: list[str]  # error severity


def run_outcome(instance, run_id: str) -> RunOutcome:
    from dagster import AssetCheckSeverity, DagsterEventType

    outcome = RunOutcome([], 0, [], [])
    for entry in instance.all_logs(run_id, of_type=DagsterEventType.STEP_FAILURE):
        data = entry.dagster_event.event_specific_data
        outcome.failed_steps.append((entry.dagster_event.step_key, error_cause(
            data.error) if data is not None and data.error else "no cause given"))
    for entry in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = entry.dagster_event.event_specific_data
        name = f"{evaluation.asset_key.to_user_string()} :: {evaluation.check_name}"
        if evaluation.passed:
            outcome.passed_checks += 1
        elif evaluation.severity == AssetCheckSeverity.WARN:
            outcome.warned_checks.append(name)
        else:
            outcome.failed_checks.append(name)
    return outcome
