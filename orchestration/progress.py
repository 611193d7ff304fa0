"""A Dagster logger for the command line: one short line per asset and check as they finish."""

from __future__ import annotations

import logging
import sys
import time

import dagster as dg
from dagster._core.events import DagsterEventType

# Bound at import, before `sales-wh build` sends the run's own stdout (dbt's log lines) to a file.
TERMINAL = sys.stdout


class ProgressHandler(logging.Handler):
    def __init__(self, stream=None) -> None:
        super().__init__(logging.DEBUG)
        self.stream = stream or TERMINAL
        self.started = time.perf_counter()

    def _say(self, text: str) -> None:
        elapsed = time.perf_counter() - self.started
        line = f"[{elapsed:7.1f}s] {text}\n"
        self.stream.write(line)
        self.stream.flush()
        if sys.stdout is not self.stream:  # the build log, while `sales-wh build` runs
            sys.stdout.write(line)

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "dagster_event", None)
        if event is None:
            if "Dependencies for step" in record.getMessage():
                return  # the skipped step is reported as such (STEP_SKIPPED), once
            if record.levelno >= logging.WARNING:
                # Dagster prefixes "<job> - <run id> - <step> - "; the step is what matters.
                meta = getattr(record, "dagster_meta", None) or {}
                text = str(meta.get("orig_message") or record.getMessage()).splitlines()[-1]
                if meta.get("step_key"):
                    text = f"{meta['step_key']}: {text}"
                self._say(f"{record.levelname.lower()}: {text}")
            return
        kind = event.event_type
        if kind == DagsterEventType.STEP_START:
            self._say(f"start     {event.step_key}")
        elif kind == DagsterEventType.ASSET_MATERIALIZATION:
            materialization = event.event_specific_data.materialization
            self._say(f"built     {materialization.asset_key.to_user_string()}")
        elif kind == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if not evaluation.passed:
                label = ("warning  " if evaluation.severity == dg.AssetCheckSeverity.WARN
                         else "CHECK FAILED")
                self._say(f"{label} {evaluation.asset_key.to_user_string()}"
                          f" :: {evaluation.check_name}")
        elif kind == DagsterEventType.STEP_FAILURE:
            from orchestration.summary import error_cause

            self._say(f"FAILED    {event.step_key}: "
                      f"{error_cause(event.event_specific_data.error)[:300]}")
        elif kind == DagsterEventType.STEP_SKIPPED:
            self._say(f"skipped   {event.step_key} (an upstream step or blocking check failed)")


@dg.logger(description="Short progress lines for `sales-wh build`.")
def progress_logger(_init_context: dg.InitLoggerContext) -> logging.Logger:
    log = logging.getLogger("sales_wh.progress")
    log.setLevel(logging.DEBUG)
    log.propagate = False
    if not log.handlers:
        log.addHandler(ProgressHandler())
    return log


@dg.logger(description="No output: for short jobs whose result the CLI prints itself.")
def quiet_logger(_init_context: dg.InitLoggerContext) -> logging.Logger:
    log = logging.getLogger("sales_wh.quiet")
    log.propagate = False
    if not log.handlers:
        log.addHandler(logging.NullHandler())
    return log
