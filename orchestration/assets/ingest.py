"""One asset per source entity: load new landing files into `raw.<source>__<entity>`.

Each asset carries two checks. `contract_suite` (blocking) runs the Great Expectations suite of
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
from ingest.landing import ingest_entity
from ingest.quality import validate_pending_loads
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


def build_ingest_asset(entity: Entity) -> dg.AssetsDefinition:
    key = raw_key(entity)

    @dg.asset(
        key=key,
        group_name="raw",
        pool=WAREHOUSE_POOL,
        # Rules that read another raw table (a return checks its order line) run after it.
        deps=[raw_key(contract_entity(*r.entity)) for r in entity.references],
        kinds={"duckdb", "python"},
        description=f"{entity.source}/{entity.name} exports loaded as typed rows; bad rows go "
        "to audit.quarantine with file, line, column and reason.",
        check_specs=[
            dg.AssetCheckSpec("contract_suite", asset=key, blocking=True,
                              description="Great Expectations: schema and types, required "
                              "fields, keys unique per file, value sets and ranges, rows read "
                              "= loaded + quarantined"),
            dg.AssetCheckSpec("files_readable", asset=key,
                              description="no file of this entity was rejected whole"),
            dg.AssetCheckSpec("fresh", asset=key,
                              description="a new file arrived within the entity's limit "
                              "(days, <home>/freshness.yml); a warning, not a stop"),
        ],
    )
    def _ingest(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        stop_if_interrupted()
        with warehouse.connect() as conn:
            try:
                outcome = ingest_entity(conn, warehouse.landing_path, entity,
                                        warehouse.settle_seconds, should_stop=interrupted)
            except Exception as exc:
                if is_interruption(exc):
                    mark_interrupted()
                    stop_if_interrupted()
                raise
            stop_if_interrupted()
            table_rows = conn.execute(
                f'SELECT count(*) FROM raw."{entity.table}"'
            ).fetchall()[0][0]
            suite = validate_pending_loads(conn, entity)
            stale = freshness_of(conn, entity)
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
            metadata={
                "files_loaded": len(loaded),
                "files_skipped_duplicate": sum(
                    f.status == "skipped_duplicate" for f in outcome.files),
                "files_rejected": len(outcome.rejected),
                "rows_read": outcome.total("rows_read"),
                "rows_loaded": outcome.total("rows_loaded"),
                "rows_quarantined": outcome.total("rows_quarantined"),
                "rows_per_second": round(outcome.total("rows_read") / seconds) if seconds else 0,
                "dagster/row_count": int(table_rows),
                # Why rows went to quarantine this run, commonest first (file and line of each
                # are in audit.quarantine).
                "quarantine_reasons": dg.MetadataValue.md(_reasons_table(reasons)),
            }
        )
        yield dg.AssetCheckResult(
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
            check_name="files_readable",
            passed=not problems,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"problems": "\n".join(problems) or "none"},
        )
        yield dg.AssetCheckResult(
            check_name="fresh",
            passed=stale is None or not stale.stale,
            severity=dg.AssetCheckSeverity.WARN,
            description=stale.describe() if stale else "no file received yet",
            metadata={"days_since_new_file": round(stale.days, 2) if stale else None,
                      "limit_days": stale.limit_days if stale else None},
        )

    return _ingest


def _reasons_table(reasons: dict[str, int], top: int = 5) -> str:
    if not reasons:
        return "none"
    lines = ["| rows | reason |", "|---:|---|"]
    for reason, count in sorted(reasons.items(), key=lambda r: (-r[1], r[0]))[:top]:
        lines.append(f"| {count:,} | {reason.replace('|', '/')[:200]} |")
    return "\n".join(lines)


def freshness_of(conn, entity: Entity):
    from ingest.freshness import staleness

    found = staleness(conn, settings.home(), datetime.now(UTC).replace(tzinfo=None),
                      entity=f"{entity.source}/{entity.name}")
    return found[0] if found else None


ingest_assets = [build_ingest_asset(entity) for entity in ENTITIES]
