"""An asset per source entity, `raw.<source>__<entity>`, all loaded by one step (`ingest`).

Each asset carries three checks. `contract_suite` (blocking) runs the Great Expectations suite of
ingest/quality.py on every load not yet passed: schema and types, required fields, keys unique
within a file, value sets and ranges, and rows read = rows loaded + rows quarantined. When it
fails, nothing downstream runs. `files_readable` fails (without blocking the other files) when
a file was rejected whole or a profile is broken, so the run ends non-zero and says why.
`fresh` warns when the entity has had no new file for longer than its limit (ingest/
freshness.py; `<home>/freshness.yml`): an export that stopped is noticed before the numbers
go stale.
"""

from datetime import UTC, datetime

import dagster as dg

from ingest.contracts import ENTITIES, Entity
from ingest.contracts import entity as contract_entity
from ingest.freshness import Staleness, staleness
from ingest.landing import EntityLoad, ingest_entities
from ingest.quality import SuiteOutcome, Validator, validate_pending_loads
from ingest.sql import qualified
from orchestration import settings
from orchestration.interrupts import (
    interrupted,
    is_interruption,
    mark_interrupted,
    stop_if_interrupted,
)
from orchestration.resources import WarehouseResource
from orchestration.settings import WAREHOUSE_POOL


def raw_key(entity: Entity) -> dg.AssetKey:
    return dg.AssetKey(["raw", entity.table])


def _check_specs(entity: Entity) -> list[dg.AssetCheckSpec]:
    key = raw_key(entity)
    return [
        dg.AssetCheckSpec("contract_suite", asset=key, blocking=True,
                          description="Great Expectations: schema and types, required "
                          "fields, keys unique per file, value sets and ranges, rows read "
                          "= loaded + quarantined"),
        dg.AssetCheckSpec("files_readable", asset=key,
                          description="no file of this entity was rejected whole"),
        dg.AssetCheckSpec("fresh", asset=key,
                          description="a new file arrived within the entity's limit "
                          "(days, <home>/freshness.yml); a warning, not a stop"),
    ]


@dg.multi_asset(
    name="ingest",
    specs=[
        dg.AssetSpec(
            raw_key(entity),
            group_name="raw",
            # Rules that read another raw table (a return checks its order line) load after
            # it: ENTITIES is in that order, and the lineage says so.
            deps=[raw_key(contract_entity(*r.entity)) for r in entity.references],
            kinds={"duckdb", "python"},
            description=f"{entity.source}/{entity.name} exports loaded as typed rows; bad rows "
            "go to audit.quarantine with file, line, column and reason.",
        )
        for entity in ENTITIES
    ],
    check_specs=[spec for entity in ENTITIES for spec in _check_specs(entity)],
    pool=WAREHOUSE_POOL,
)
def ingest_landing(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Every entity in one step: the landing folder is scanned once, one connection and one
    Great Expectations context serve all 19 loads."""
    stop_if_interrupted()
    validator = Validator()
    with warehouse.connect() as conn:
        try:
            for outcome in ingest_entities(conn, warehouse.landing_path, ENTITIES,
                                           warehouse.settle_seconds, should_stop=interrupted):
                stop_if_interrupted()
                entity = outcome.entity
                table_rows = conn.execute(
                    f"SELECT count(*) FROM {qualified('raw', entity.table)}").fetchall()[0][0]
                suite = validate_pending_loads(conn, entity, validator)
                yield from _results(context, outcome, int(table_rows), suite)
        except Exception as exc:
            if is_interruption(exc):  # Ctrl-C inside a DuckDB query
                mark_interrupted()
                stop_if_interrupted()
            raise
        stop_if_interrupted()
        now = datetime.now(UTC).replace(tzinfo=None)
        stale = {s.entity: s for s in staleness(conn, settings.home(), now)}
    for entity in ENTITIES:
        yield _fresh_result(entity, stale.get(f"{entity.source}/{entity.name}"))


def _results(context: dg.AssetExecutionContext, outcome: EntityLoad, table_rows: int,
             suite: SuiteOutcome):
    """The materialization of one raw table and its two load checks."""
    key = raw_key(outcome.entity)
    for warning in outcome.warnings:
        context.log.warning(warning)
    for file in outcome.rejected:
        context.log.error(f"rejected: {file.message}")
    for problem in outcome.problems:
        context.log.error(problem)
    loaded = [f for f in outcome.files if f.status == "loaded"]
    seconds = sum(f.seconds for f in loaded)
    reasons: dict[str, int] = {}
    for file in loaded:
        for reason, count in file.reasons.items():
            reasons[reason] = reasons.get(reason, 0) + count
    yield dg.MaterializeResult(
        asset_key=key,
        metadata={
            "files_loaded": len(loaded),
            "files_skipped_duplicate": sum(
                f.status == "skipped_duplicate" for f in outcome.files),
            "files_rejected": len(outcome.rejected),
            "rows_read": outcome.total("rows_read"),
            "rows_loaded": outcome.total("rows_loaded"),
            "rows_quarantined": outcome.total("rows_quarantined"),
            "rows_skipped": outcome.total("rows_skipped"),
            "rows_per_second": round(outcome.total("rows_read") / seconds) if seconds else 0,
            "dagster/row_count": table_rows,
            # Why rows went to quarantine this run, commonest first (file and line of each
            # are in audit.quarantine).
            "quarantine_reasons": dg.MetadataValue.md(_reasons_table(reasons)),
        },
    )
    yield dg.AssetCheckResult(
        asset_key=key,
        check_name="contract_suite",
        passed=suite.passed,
        metadata={
            "loads_validated": len(suite.load_ids),
            "rows_validated": suite.rows_checked,
            "expectations": suite.expectations,
            "failures": "\n".join(suite.failures) or "none",
            "fix": "none needed" if suite.passed else "correct the file and deliver it "
            "again, then `sales-wh retract <file>` the failed load",
        },
    )
    problems = [f.message for f in outcome.rejected] + outcome.problems
    yield dg.AssetCheckResult(
        asset_key=key,
        check_name="files_readable",
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"problems": "\n".join(problems) or "none"},
    )


def _fresh_result(entity: Entity, stale: Staleness | None) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        asset_key=raw_key(entity),
        check_name="fresh",
        passed=stale is None or not stale.stale,
        severity=dg.AssetCheckSeverity.WARN,
        description=stale.describe() if stale else "no file received yet",
        metadata={"days_since_new_file": round(stale.days, 2) if stale else None,
                  "limit_days": stale.limit_days if stale else None},
    )


def _reasons_table(reasons: dict[str, int], top: int = 5) -> str:
    if not reasons:
        return "none"
    lines = ["| rows | reason |", "|---:|---|"]
    for reason, count in sorted(reasons.items(), key=lambda r: (-r[1], r[0]))[:top]:
        lines.append(f"| {count:,} | {reason.replace('|', '/')[:200]} |")
    return "\n".join(lines)


ingest_assets = [ingest_landing]
