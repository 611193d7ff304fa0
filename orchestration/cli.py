"""`sales-wh`: generate a sample company, build the warehouse through Dagster, open the UI."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import time
from pathlib import Path

import duckdb

from ingest.landing import scan_landing
from orchestration import settings
from orchestration.spark import ENGINE_ENV, ENGINES


def cmd_generate(args: argparse.Namespace) -> int:
    from synthetic.generate import generate
    from synthetic.writer import ForeignFileError

    started = time.perf_counter()
    try:
        rows = generate(Path(args.out), scale=args.scale, seed=args.seed)
    except ForeignFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    width = max(len(k) for k in rows)
    for entity, count in rows.items():
        print(f"  {entity:<{width}} {count:>12,}")
    print(f"wrote {sum(rows.values()):,} rows to {args.out} in "
          f"{time.perf_counter() - started:.1f}s (scale {args.scale:g}, seed {args.seed})")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    if args.engine:
        os.environ[ENGINE_ENV] = args.engine
    settings.configure(home_dir=args.home, landing_dir=args.landing, plans=args.plans)
    set_dbt_vars(args)
    landing = settings.landing()
    if not landing.is_dir():
        print(f"error: landing folder {landing} does not exist; create it, or run "
              f"`sales-wh generate --out {landing}` for a sample company", file=sys.stderr)
        return 2
    print(f"building {settings.warehouse_path()} from {landing}")
    scan = scan_landing(landing)
    files = len({d.display_path for d in scan.deliveries})
    print(f"landing: {files} files for the contracts"
          + (f" ({len(scan.deliveries)} file x entity mappings)"
             if len(scan.deliveries) != files else ""))
    for note in scan.notes:
        print(f"  note: {note}")
    for problem in scan.problems:
        print(f"  PROBLEM: {problem}")
    if scan.problems:
        # A broken profile would fail every entity's check after minutes of work: stop first.
        print(f"error: fix the profile problem(s) above, then build again; nothing was loaded "
              f"or rebuilt in {settings.home()}", file=sys.stderr)
        return 2

    from orchestration.build_state import exclusive_build

    signal.signal(signal.SIGTERM, _interrupt)  # stop cleanly on SIGTERM as on Ctrl-C
    try:
        with exclusive_build(settings.home(), say=print):
            from ingest.warehouse import write_problem

            problem = write_problem(settings.warehouse_path())
            if problem:
                print(f"error: {problem}; nothing was loaded or rebuilt", file=sys.stderr)
                return 2
            from orchestration.nothing_new import changed_parts

            before = _build_fingerprint()
            changed = changed_parts(settings.home(), before)
            if not (args.force or args.full_refresh) and _nothing_new(changed, started):
                return 0
            _choose_full_refresh(args, changed)
            code, run_id = _run_build(started)
            if code == 0:  # what the build was built from, and the files it left
                from models_py.serving.publish import published_path
                from orchestration.nothing_new import outputs, record

                record(settings.home(), run_id, {**before, **outputs(
                    settings.warehouse_path(), published_path(settings.home()))})
            return code
    except KeyboardInterrupt:
        print("\ninterrupted: the build stopped; each file loads in one transaction, so the "
              "warehouse keeps its last complete state. Run `sales-wh build` again to go on.",
              file=sys.stderr)
        return 130


def _build_fingerprint() -> dict[str, str]:
    from models_py.serving.publish import published_path
    from orchestration.nothing_new import fingerprint
    from orchestration.settings import DBT_VARS_ENV

    options = {"dbt_vars": os.environ.get(DBT_VARS_ENV), "plans": str(settings.plans_dir()),
               "landing": str(settings.landing()), "engine": settings.engine()}
    return fingerprint(settings.landing(), settings.warehouse_path(),
                       published_path(settings.home()), settings.PROJECT_ROOT, options)


def _nothing_new(changed: list[str] | None, started: float) -> bool:
    """Say so and stop when nothing changed since the last successful build."""
    from orchestration.nothing_new import last_build

    if changed != []:
        return False
    run_id = last_build(settings.home())["run_id"]
    print(f"nothing new since build {run_id[:8]}: the same landing files, options, code and "
          f"warehouse, so there is nothing to load or rebuild; readers keep that build "
          f"({time.perf_counter() - started:.1f}s; `sales-wh build --force` rebuilds anyway)")
    return True


def _choose_full_refresh(args: argparse.Namespace, changed: list[str] | None) -> None:
    """dbt's incremental models are rebuilt whole when asked (--full-refresh) or when the dbt
    project changed since the last build: a model that gained a column cannot be brought
    forward row by row. Everything else (new data, vars, a retraction, a new home, other
    logic in a macro) dbt handles itself: macros/incremental_orders.sql."""
    from orchestration.settings import DBT_FULL_REFRESH_ENV

    whole = args.full_refresh or "dbt" in (changed or [])
    os.environ[DBT_FULL_REFRESH_ENV] = "1" if whole else ""
    if whole:
        print("dbt: incremental models rebuilt whole ("
              + ("--full-refresh" if args.full_refresh else "the dbt project changed") + ")")


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _run_build(started: float) -> tuple[int, str]:
    """(exit code, run id) of one in-process run of the build job."""
    from dagster import DagsterInstance

    from orchestration.build_state import cancel_own_runs, clear_stale_runs, run_tags
    from orchestration.definitions import BUILD_ALL_JOB, build_definitions
    from orchestration.interrupts import interrupted_steps, reset, was_interrupted
    from orchestration.progress import progress_logger
    from orchestration.summary import report

    reset()
    defs = build_definitions(loggers={"progress": progress_logger})
    job = defs.resolve_job_def(BUILD_ALL_JOB)
    log_dir = settings.home() / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / "build.log"
    print(f"full log: {log_path}")
    for warning in withdrawn_files(settings.warehouse_path(), settings.landing()):
        print(f"  warning: {warning}")
    with DagsterInstance.get() as instance:
        clear_stale_runs(instance, say=print, pool=settings.WAREHOUSE_POOL)
        # The terminal gets one line per asset; dbt's own output and Dagster's event log go to
        # the log file (and to the Dagster instance, where `sales-wh ui` shows the run).
        try:
            with log_path.open("w") as log_file, contextlib.redirect_stdout(log_file), \
                    contextlib.redirect_stderr(log_file):
                result = job.execute_in_process(
                    instance=instance, raise_on_error=False, tags=run_tags(),
                    run_config={"loggers": {"progress": {}}},
                )
        except KeyboardInterrupt:
            cancel_own_runs(instance)
            raise
    if was_interrupted() or interrupted_steps(result):
        raise KeyboardInterrupt
    # The summary (with each failure's cause) goes to the terminal and to the build log.
    with log_path.open("a") as log_file, contextlib.redirect_stdout(Tee(sys.stdout, log_file)):
        return report(result, started), result.run_id


def withdrawn_files(warehouse: Path, landing: Path) -> list[str]:
    """Loaded files no longer in the landing folder: their rows still count, which is right
    if the folder is only cleaned up and wrong if the file was withdrawn; say so every build."""
    if not warehouse.exists():
        return []
    try:
        with duckdb.connect(str(warehouse), read_only=True) as conn:
            loaded = conn.execute("SELECT DISTINCT file_path FROM audit.load_log "
                                  "WHERE status = 'loaded' ORDER BY 1").fetchall()
    except duckdb.Error:  # no audit tables yet
        return []
    home = settings.home()
    return [f"{path} was loaded but is no longer in {landing}; its rows still count. If it "
            f"was withdrawn: sales-wh retract {path} --home {home}"
            for (path,) in loaded if not (landing / path).exists()]


class Tee:
    """A text stream writing to several streams."""

    def __init__(self, *streams) -> None:
        self.streams = streams

    def write(self, text: str) -> int:
        for stream in self.streams:
            stream.write(text)
        return len(text)

    def flush(self) -> None:
        for stream in self.streams:
            stream.flush()


def set_dbt_vars(args: argparse.Namespace) -> None:
    """Pass --as-of and --reporting-currency to dbt (through the environment of its process)."""
    import json

    from orchestration.settings import DBT_VARS_ENV

    chosen = {}
    if getattr(args, "as_of", None):
        chosen["as_of_date"] = args.as_of
    if getattr(args, "reporting_currency", None):
        chosen["reporting_currency"] = args.reporting_currency.upper()
    if getattr(args, "fiscal_year_start_month", None):
        chosen["fiscal_year_start_month"] = args.fiscal_year_start_month
    os.environ[DBT_VARS_ENV] = json.dumps(chosen, sort_keys=True)


def cmd_ui(args: argparse.Namespace) -> int:
    command = [sys.executable, "-m", "dagster", "dev", "-m", "orchestration.definitions",
               "-h", args.host, "-p", str(args.port)]
    return _supervised(args, command, lambda: f"Dagster UI on http://{args.host}:{args.port} "
                       f"(instance {os.environ['DAGSTER_HOME']})")


def cmd_daemon(args: argparse.Namespace) -> int:
    """The schedules and sensors without the UI (dagster-daemon), until SIGTERM or Ctrl-C."""
    daemon = Path(sys.executable).parent / "dagster-daemon"
    code = _supervised(args, [str(daemon), "run", "-m", "orchestration.definitions"],
                       lambda: f"sales-wh daemon: schedules and sensors of {settings.home()} "
                       f"(landing {settings.landing()}); SIGTERM or Ctrl-C stops it and its runs")
    print("sales-wh daemon: stopped", flush=True)
    return code


def _supervised(args: argparse.Namespace, command: list[str], banner) -> int:
    """Run a long-lived Dagster process for this home until it ends or we are stopped."""
    from orchestration.supervise import supervise

    settings.configure(home_dir=args.home, landing_dir=args.landing, plans=args.plans)
    set_dbt_vars(args)
    print(banner(), flush=True)
    return supervise(command, settings.PROJECT_ROOT, on_stopped=_end_automation_runs)


def _end_automation_runs() -> None:
    """The runs the schedules and sensors started died with the daemon: record them canceled
    and give their warehouse slots back, so the next run does not wait for them."""
    from dagster import DagsterInstance

    from orchestration.build_state import (
        AUTOMATION_TAG,
        end_run,
        free_finished_slots,
        unfinished_runs,
    )

    with DagsterInstance.get() as instance:
        for run in unfinished_runs(instance, dict([AUTOMATION_TAG])):
            end_run(instance, run, canceled=True, why="the sales-wh daemon (or UI) stopped")
            print(f"  run {run.run_id[:8]} ({run.job_name}) stopped with the daemon: canceled")
        free_finished_slots(instance, lambda line: print(f"  {line}"), settings.WAREHOUSE_POOL)


def cmd_status(args: argparse.Namespace) -> int:
    """The home's state: last build, failures, checks, quarantine, freshness, locks, serving."""
    from orchestration.status import status_lines

    settings.configure(home_dir=args.home)
    if not settings.dagster_home().exists() and not settings.warehouse_path().exists():
        print(f"error: {settings.home()} has no warehouse yet; run `sales-wh build` first",
              file=sys.stderr)
        return 2
    for line in status_lines(settings.home()):
        print(line)
    return 0


def cmd_metrics(args: argparse.Namespace) -> int:
    """The semantic layer: list the metrics, or query them from the published copy."""
    from models_py.serving.metrics import SEMANTIC_MANIFEST, Metrics, write_csv
    from models_py.serving.publish import published_path

    started = time.perf_counter()
    settings.configure(home_dir=args.home)
    manifest = settings.DBT_PROJECT_DIR / "target" / SEMANTIC_MANIFEST
    if not manifest.exists():  # a fresh checkout: parse the project once (a few seconds)
        from orchestration.dbt import ensure_manifest

        ensure_manifest()
    try:
        metrics = Metrics(manifest, published_path(settings.home()))
    except FileNotFoundError as missing:
        print(f"error: {missing}", file=sys.stderr)
        return 2
    try:
        if args.action == "list":
            for name, description, dimensions in metrics.list():
                print(f"{name:<28} {description}")
                if args.dimensions:
                    print(f"{'':<28} by: {', '.join(dimensions)}")
            return 0
        if not args.metrics:
            print("error: --metrics is required (see `sales-wh metrics list`)", file=sys.stderr)
            return 2
        try:
            result = metrics.query(_names(args.metrics), _names(args.group_by),
                                   where=args.where, order_by=_names(args.order_by),
                                   limit=args.limit)
        except Exception as exc:  # MetricFlow explains unknown names and bad filters well
            print(f"error: {' '.join(str(exc).split())[:1500]}", file=sys.stderr)
            return 2
    finally:
        metrics.close()
    if args.csv:
        write_csv(result, Path(args.csv))
        print(f"{len(result.rows)} rows written to {args.csv}")
    else:
        for line in format_table(result.columns, result.rows):
            print(line)
    if args.sql:
        print(result.sql)
    print(f"{len(result.rows)} rows; query {result.seconds:.2f}s, wall "
          f"{time.perf_counter() - started:.2f}s", file=sys.stderr)
    return 0


def _names(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def format_table(columns: list[str], rows: list[tuple]) -> list[str]:
    """Rows as aligned text: dates as dates, numbers right-aligned, null as empty."""
    import datetime as dt
    from decimal import Decimal

    def cell(value) -> str:
        if value is None:
            return ""
        if isinstance(value, dt.datetime) and value.time() == dt.time():
            return value.date().isoformat()
        if isinstance(value, float):
            return f"{value:.4f}"
        if isinstance(value, Decimal):  # money: to the cent (exact in --csv)
            return f"{value:,.2f}"
        return str(value)

    texts = [[cell(v) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in texts]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    for row, raw in zip(texts, rows, strict=True):
        lines.append("  ".join(
            text.rjust(w) if isinstance(value, int | float | Decimal)
            else text.ljust(w) for text, w, value in zip(row, widths, raw, strict=True)))
    return lines


def cmd_check(args: argparse.Namespace) -> int:
    """Validate the landing folder's profiles and show what each file would load; no
    warehouse, no Dagster: safe while a build runs."""
    from ingest.preview import check_landing, format_check

    landing = Path(args.landing) if args.landing else settings.landing()
    if not landing.is_dir():
        print(f"error: landing folder {landing} does not exist", file=sys.stderr)
        return 2
    started = time.perf_counter()
    check = check_landing(landing, rows=args.rows)
    for line in format_check(check):
        print(line)
    files = len({p.delivery.display_path for p in check.previews})
    print(f"checked {files} files ({len(check.previews)} file x entity mappings) in "
          f"{time.perf_counter() - started:.1f}s; {len(check.rejected)} would be rejected whole, "
          f"{len(check.scan.problems)} profile problem(s); nothing was loaded")
    if check.scan.problems:
        return 2
    return 1 if check.rejected else 0


def run_job_now(job_name: str, run_config: dict | None = None):
    """Run one of the code location's jobs in this process, quietly, as `sales-wh ui` would
    (the run shows in its history), holding the home's build lock so no build writes the
    warehouse meanwhile. The caller prints what the run did. None without a warehouse."""
    if not settings.warehouse_path().exists():
        print(f"error: no warehouse at {settings.warehouse_path()}; build it first",
              file=sys.stderr)
        return None
    from dagster import DagsterInstance

    from orchestration.build_state import clear_stale_runs, exclusive_build, run_tags
    from orchestration.definitions import build_definitions
    from orchestration.progress import quiet_logger

    with exclusive_build(settings.home(), say=print), DagsterInstance.get() as instance:
        # A run of an earlier command killed mid-way (kill -9) still holds the warehouse
        # slot: without this, the job would wait for it forever.
        clear_stale_runs(instance, say=print, pool=settings.WAREHOUSE_POOL)
        job = build_definitions(loggers={"quiet": quiet_logger}).resolve_job_def(job_name)
        return job.execute_in_process(
            instance=instance, raise_on_error=False, tags=run_tags(),
            run_config={**(run_config or {}), "loggers": {"quiet": {}}})


def cmd_lock_period(args: argparse.Namespace) -> int:
    """Freeze a payout period through the Dagster lock job (so the lock has a run id and shows
    in `sales-wh ui`)."""
    from orchestration.assets.payouts import LOCK_JOB
    from orchestration.summary import step_failures

    settings.configure(home_dir=args.home)
    config = {"period": args.period, "locked_by": args.by or ""}
    result = run_job_now(LOCK_JOB, {"ops": {"lock_period_op": {"config": config}}})
    if result is None:
        return 2
    if not result.success:
        for _, cause in step_failures(result):
            print(f"error: cannot lock {args.period}: {cause}", file=sys.stderr)
        return 1
    with duckdb.connect(str(settings.warehouse_path()), read_only=True) as conn:
        row = conn.execute(
            "SELECT l.locked_by, l.locked_at, l.run_id, count(p.rep_id), sum(p.total_payable) "
            "FROM finance.period_locks l JOIN finance.locked_payouts p USING (period) "
            "WHERE l.period = ? GROUP BY ALL", [args.period]).fetchall()
    who, when, run_id, reps, total = row[0] if row else ("?", "?", "?", 0, 0)
    print(f"locked {args.period} by {who} at {when} (lines of run {run_id}; lock run "
          f"{result.run_id}): {reps} reps, total payable {total}. Later changes to its inputs "
          "become clawbacks in the first open period.")
    print(f"final exports: {settings.exports_dir() / args.period}")
    return 0


def cmd_forecast(args: argparse.Namespace) -> int:
    """Run the forecast job now (as the monthly schedule would) and print the company's."""
    from orchestration.assets.forecast import FORECAST_JOB
    from orchestration.summary import step_failures

    started = time.perf_counter()
    settings.configure(home_dir=args.home)
    result = run_job_now(FORECAST_JOB)
    if result is None:
        return 2
    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    for _, cause in step_failures(result):
        print(f"error: the forecast failed: {cause}", file=sys.stderr)
    with duckdb.connect(str(settings.warehouse_path()), read_only=True) as conn:
        rows = conn.execute(
            "SELECT trained_through, month, yhat, lo80, hi80, model, reconciliation, "
            "(SELECT count(DISTINCT series) FROM forecast.revenue_forecast WHERE run_id = ?) "
            "FROM forecast.revenue_forecast WHERE run_id = ? AND level = 'company' "
            "ORDER BY month", [result.run_id, result.run_id]).fetchall()
        quarters = conn.execute(
            "SELECT quarter, closed_won_to_date, p10, p50, p90, commit_amount, open_deals, "
            "priced_by_model, scoring_run_id, as_of_date FROM forecast.pipeline_forecast "
            "WHERE run_id = ? ORDER BY quarter", [result.run_id]).fetchall()
    if rows:
        print(f"forecast run {result.run_id}: {rows[0][7]} series trained through "
              f"{rows[0][0]:%Y-%m}, reconciled by {rows[0][6]}; company ({rows[0][5]}):")
        for _, month, yhat, lo, hi, *_ in rows:
            print(f"  {month:%Y-%m}  {yhat:>16,.0f}   80 %: {lo:,.0f} - {hi:,.0f}")
    for quarter, won, p10, p50, p90, commit, *_ in quarters:
        print(f"  bookings {quarter}: P50 {p50:,.0f} (P10 {p10:,.0f}, P90 {p90:,.0f}); won so "
              f"far {won:,.0f}; reps' commit {commit:,.0f}")
    if quarters:
        *_, open_deals, priced, scoring_run, as_of = quarters[0]
        print(f"  open deals priced by the deal model's win probability (scoring run "
              f"{scoring_run}): {priced} of {open_deals}" if scoring_run else
              f"  open deals priced by stage-and-age win rates: no deal model scored them as "
              f"of {as_of} (run `sales-wh score` first to price them by win probability)")
    for evaluation in failed:
        print(f"  CHECK FAILED {evaluation.check_name}", file=sys.stderr)
    print(f"elapsed {time.perf_counter() - started:.1f}s")
    return 0 if result.success and not failed else 1


def cmd_score(args: argparse.Namespace) -> int:
    """Run the scoring job now (as the monthly schedule would) and print, per model, how it
    did on the newest rows against its baselines, and its strongest factors."""
    from orchestration.assets.scoring import SCORE_JOB
    from orchestration.summary import step_failures

    started = time.perf_counter()
    settings.configure(home_dir=args.home)
    result = run_job_now(SCORE_JOB)
    if result is None:
        return 2
    for _, cause in step_failures(result):
        print(f"error: scoring failed: {cause}", file=sys.stderr)
    if not result.success:
        return 1
    for event in result.get_asset_materialization_events():
        skipped = event.materialization.metadata.get("skipped")
        if skipped is not None:
            print(f"{event.asset_key.to_user_string()}: {skipped.value}")
    with duckdb.connect(str(settings.warehouse_path()), read_only=True) as conn:
        present = {t for (t,) in conn.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'scoring'").fetchall()}
        models = conn.execute(
            "SELECT DISTINCT model FROM scoring.model_metrics WHERE run_id = ? ORDER BY 1",
            [result.run_id]).fetchall() if "model_metrics" in present else []
        for (model,) in models:
            _print_model(conn, result.run_id, model)
    print(f"elapsed {time.perf_counter() - started:.1f}s")
    return 0


def _print_model(conn: duckdb.DuckDBPyConnection, run_id: str, model: str) -> None:
    metrics = conn.execute(
        "SELECT candidate, chosen, auc, brier, log_loss, test_from, test_to, test_rows, "
        "test_positives, as_of_date FROM scoring.model_metrics WHERE run_id = ? AND model = ? "
        "ORDER BY candidate <> 'model', candidate", [run_id, model]).fetchall()
    factors = conn.execute(
        "SELECT factor, level, reference, odds_ratio, ci_low, ci_high FROM "
        "scoring.model_factors WHERE run_id = ? AND model = ? AND (ci_low > 1 OR ci_high < 1) "
        "ORDER BY abs(ln(odds_ratio)) DESC LIMIT 6", [run_id, model]).fetchall()
    *_, test_from, test_to, rows, wins, as_of = metrics[0]
    print(f"{model} as of {as_of}, run {run_id}: tested on {rows:,} rows dated "
          f"{test_from} .. {test_to} ({wins:,} won)")
    for name, chosen, auc, brier, loss, *_ in metrics:
        print(f"  {name:<12} AUC {auc or 0:.3f}  Brier {brier:.4f}  log loss {loss:.4f}"
              f"{'  <- scores' if chosen else ''}")
    if factors:
        print("  strongest factors (odds ratio, 95 % interval):")
    for factor, level, reference, ratio, low, high in factors:
        what = f"{factor}={level} vs {reference}" if level else f"{factor} (per unit)"
        print(f"    {what:<60} {ratio:8.3f}  ({low:.3f} - {high:.3f})")


def cmd_export_payouts(args: argparse.Namespace) -> int:
    """Write a month's payout files (provisional while the month is open)."""
    from models_py.payouts.statements import export_period
    from orchestration.summary import open_when_free

    settings.configure(home_dir=args.home)
    if not settings.warehouse_path().exists():
        print(f"error: no warehouse at {settings.warehouse_path()}; build it first",
              file=sys.stderr)
        return 2
    with open_when_free(settings.warehouse_path()) as conn:
        export = export_period(conn, args.period, settings.exports_dir())
    if not export.files:
        print(f"error: no payouts for {args.period} in {settings.warehouse_path()}",
              file=sys.stderr)
        return 1
    print(f"wrote {len(export.files)} files for {args.period} ({export.reps} reps, total "
          f"payable {export.total}) to {export.folder}")
    return 0


def cmd_retract(args: argparse.Namespace) -> int:
    from ingest.quality import retract_file
    from ingest.warehouse import connect

    settings.configure(home_dir=args.home)
    with connect(settings.warehouse_path()) as conn:
        loads = retract_file(conn, args.file_path)
    if not loads:
        print(f"no loaded file {args.file_path!r} in {settings.warehouse_path()} "
              "(paths are relative to the landing folder, as in audit.load_log)", file=sys.stderr)
        return 1
    print(f"retracted {args.file_path}: load(s) {', '.join(map(str, loads))} removed from raw "
          "and quarantine; the next build loads whatever is delivered now")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="sales-wh",
        description="Sales analytics warehouse: landing files -> DuckDB marts via Dagster and dbt.",
    )
    sub = top.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="write a deterministic synthetic company's exports",
                         description="Write every source contract's files for a synthetic "
                         "company (about two years) in the landing layout.")
    gen.add_argument("--out", default="data/landing", help="landing folder to write (replaced)")
    gen.add_argument("--scale", type=float, default=1.0,
                     help="volume multiplier; 1 is about 46,000 order lines, 22 about 1 million")
    gen.add_argument("--seed", type=int, default=42, help="random seed (same seed, same bytes)")
    gen.set_defaults(func=cmd_generate)

    for name, helptext in (("build", "load new files and build every table through Dagster"),
                           ("ui", "start the Dagster UI on this project"),
                           ("daemon", "run the schedules and sensors (no UI) until SIGTERM")):
        cmd = sub.add_parser(name, help=helptext, description=helptext)
        cmd.add_argument("--landing", default=None,
                         help="landing folder (default: $SALES_WH_LANDING or <home>/landing)")
        cmd.add_argument("--home", default=None,
                         help="folder of warehouse.duckdb and the Dagster instance "
                         "(default: $SALES_WH_HOME or ./data)")
        cmd.add_argument("--as-of", default=None, metavar="YYYY-MM-DD",
                         help="the marts' 'today' (default: the latest date in the data)")
        cmd.add_argument("--reporting-currency", default=None, metavar="CUR",
                         help="currency of reporting amounts (default USD); other currencies "
                         "convert with plan/fx_rates")
        cmd.add_argument("--plans", default=None, metavar="DIR",
                         help="commission plan files (default: <landing>/plan/"
                         "commission_plans/ when it exists)")
        cmd.add_argument("--fiscal-year-start-month", type=int, default=None, metavar="M",
                         choices=range(1, 13),
                         help="first month of the fiscal year, 1-12 (default 1: January); "
                         "the fiscal year is named by the calendar year it ends in")
        if name == "ui":
            cmd.add_argument("--host", default="127.0.0.1")
            cmd.add_argument("--port", type=int, default=3000)
            cmd.set_defaults(func=cmd_ui)
        elif name == "daemon":
            cmd.set_defaults(func=cmd_daemon)
        else:
            cmd.add_argument("--force", action="store_true",
                             help="rebuild even when nothing changed since the last build")
            cmd.add_argument("--full-refresh", action="store_true",
                             help="rebuild dbt's incremental models (the order lines) whole "
                             "instead of only the orders new files touched; the result is "
                             "the same, it only takes longer")
            cmd.add_argument("--engine", choices=ENGINES, default=None,
                             help="where the dbt project builds: duckdb (default, or "
                             "$SALES_WH_ENGINE) or spark (dbt-spark; the raw rows reach it "
                             "through the Parquet lake <home>/lake; docs/scale-out.md)")
            cmd.set_defaults(func=cmd_build)
    check = sub.add_parser(
        "check", help="validate profiles and show what each landing file would load",
        description="Validate the landing folder's profiles; list, per file, the entity it maps "
        "to, how many rows would load or be quarantined (and why), and the first rows as they "
        "would load. Reads only the landing folder: the warehouse is not touched.")
    check.add_argument("--landing", default=None,
                       help="landing folder (default: $SALES_WH_LANDING or <home>/landing)")
    check.add_argument("--rows", type=int, default=5, help="rows to show per file (default 5)")
    check.set_defaults(func=cmd_check)
    lock = _month_command(
        sub, "lock-period", cmd_lock_period, "freeze a commission payout month (no unlock)",
        "Freeze a payout month: its lines and payouts never change again; later changes to its "
        "inputs become clawback lines in the first open month. Months lock in order, and not "
        "while they have unresolved exceptions.")
    lock.add_argument("--by", default=None, help="who locks (default: $SALES_WH_USER or the "
                      "login name)")
    _home_command(
        sub, "forecast", cmd_forecast,
        "forecast monthly net revenue now (the monthly schedule's job)",
        "Forecast 12 months of net revenue for the company, regions, channels, categories and "
        "region x category, reconciled; every run is kept in forecast.revenue_forecast.")
    _home_command(
        sub, "score", cmd_score,
        "score every lead and open deal now (the monthly schedule's job)",
        "Train and calibrate the lead and deal models on older rows, measure them on the "
        "newest against their baselines, and score every lead (marts.mart_lead_scores) and "
        "open deal (scoring.win_probabilities, fct_opportunities.win_probability from the "
        "next build); every run kept in schema scoring.")
    _month_command(
        sub, "export-payouts", cmd_export_payouts, "write a month's payout files for finance",
        "CSV and XLSX of the month's payouts and lines, and one HTML statement per rep, under "
        "<home>/exports/finance/<YYYY-MM>/ (provisional while the month is open; locking a "
        "month writes its final files).")
    metrics = _home_command(
        sub, "metrics", cmd_metrics,
        "the semantic layer: list metrics, or query them from the published copy",
        "Metrics defined once in dbt_project/models/semantic (MetricFlow), answered from "
        "<home>/serving/warehouse.duckdb by MetricFlow's Python engine, read-only. Example: "
        "sales-wh metrics query --metrics win_rate,net_revenue --group-by "
        "metric_time__month,rep__region")
    metrics.add_argument("action", choices=["list", "query"])
    metrics.add_argument("--metrics", default=None, help="comma-separated metric names")
    metrics.add_argument("--group-by", default=None,
                         help="comma-separated: metric_time__month, rep__region, "
                         "customer__region, order_line__channel ...")
    metrics.add_argument("--where", action="append", default=None,
                         help="a filter, e.g. \"{{ Dimension('rep__region') }} = 'East'\" "
                         "(repeatable)")
    metrics.add_argument("--order-by", default=None, help="comma-separated; -name descends")
    metrics.add_argument("--limit", type=int, default=None)
    metrics.add_argument("--csv", default=None, metavar="FILE", help="write the rows to FILE")
    metrics.add_argument("--sql", action="store_true", help="also print the SQL MetricFlow ran")
    metrics.add_argument("--dimensions", action="store_true",
                         help="list: also show the dimensions of each metric")
    _home_command(
        sub, "status", cmd_status,
        "the state of a home: last build, failures, quarantine, locks, serving",
        "Print the last build and how it ended (failed steps and checks), what is running, "
        "quarantined rows and their top reasons, sources without new files, locked payout "
        "months and which build readers see. Safe while a build runs.")
    retract = _home_command(
        sub, "retract", cmd_retract, "take a loaded file back out of the warehouse",
        "Remove every row a file loaded (raw and quarantine); audit.load_log keeps the history "
        "as 'retracted'. Use it when a delivered file was wrong.")
    retract.add_argument("file_path", help="as in audit.load_log, e.g. crm/reps/2026-11-28.csv")
    return top


def month(text: str) -> str:
    """argparse type: a month written YYYY-MM."""
    from models_py.payouts.plans import PERIOD

    if not PERIOD.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a month (YYYY-MM)")
    return text


def _home_command(sub, name: str, func, helptext: str,
                  description: str) -> argparse.ArgumentParser:
    """A subcommand that works on one home (its warehouse, its Dagster instance)."""
    command = sub.add_parser(name, help=helptext, description=description)
    command.add_argument("--home", default=None,
                         help="folder of warehouse.duckdb (default: $SALES_WH_HOME or ./data)")
    command.set_defaults(func=func)
    return command


def _month_command(sub, name: str, func, helptext: str,
                   description: str) -> argparse.ArgumentParser:
    command = _home_command(sub, name, func, helptext, description)
    command.add_argument("period", metavar="YYYY-MM", type=month)
    return command


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except OSError as exc:  # an unwritable home, a full disk: say what and where, no traceback
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"error: {exc.strerror or exc}{where}; check that the folder exists and is "
              "writable by this user, and that the disk has room", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
