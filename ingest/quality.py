"""The ingest data-quality suite: Great Expectations 1.x over what each load put in `raw`.

For every load of an entity that has not yet passed, three validations run:
- schema: the raw table has the contract's columns, in order, with the contract's types;
- rows: required fields filled, keys unique within each file, values in their sets and ranges;
- conservation: rows read = rows in the raw table + rows in quarantine, per file.
Results are recorded in `audit.load_checks`; a load that failed is validated again on every run
(and keeps blocking) until it is fixed or retracted (`sales-wh retract FILE`).

Great Expectations takes seconds to import, so it is imported when a `Validator` is made.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

from ingest.contracts import Entity, Kind
from ingest.sql import ident, qualified
from ingest.warehouse import raw_columns, rollback

SUITE = "ingest_contract"

LOAD_CHECKS_DDL = """
CREATE TABLE IF NOT EXISTS audit.load_checks (
    load_id BIGINT NOT NULL,
    suite VARCHAR NOT NULL,
    passed BOOLEAN NOT NULL,
    failures VARCHAR,
    checked_at TIMESTAMP NOT NULL
)
"""


@dataclass
class SuiteOutcome:
    load_ids: list[int] = field(default_factory=list)
    rows_checked: int = 0
    expectations: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


def _expected_types(entity: Entity) -> list[tuple[str, str]]:
    return raw_columns(entity)


def pending_loads(conn: duckdb.DuckDBPyConnection, entity: Entity) -> list[int]:
    conn.execute(LOAD_CHECKS_DDL)
    rows = conn.execute(
        "SELECT load_id FROM audit.load_log WHERE source = ? AND entity = ? AND status = 'loaded'"
        " AND load_id NOT IN (SELECT load_id FROM audit.load_checks WHERE suite = ? AND passed)"
        " ORDER BY load_id",
        [entity.source, entity.name, SUITE],
    ).fetchall()
    return [int(r[0]) for r in rows]


def _row_expectations(entity: Entity, gxe: Any) -> list[Any]:
    expectations: list[Any] = [
        gxe.ExpectCompoundColumnsToBeUnique(column_list=[*entity.key, "_load_id"]),
    ]
    for column in entity.columns:
        if column.required:
            expectations.append(gxe.ExpectColumnValuesToNotBeNull(column=column.name))
        if column.allowed:
            expectations.append(gxe.ExpectColumnValuesToBeInSet(column=column.name,
                                                                value_set=list(column.allowed)))
        # A credit column's minimum depends on the profile (allow_credit_lines), which the
        # loader applied per file; the suite checks only the bounds that hold for every file.
        low = None if column.credit else column.min_value
        if low is not None or column.max_value is not None:
            expectations.append(gxe.ExpectColumnValuesToBeBetween(
                column=column.name, min_value=low, max_value=column.max_value))
    return expectations


# Rows per frame handed to Great Expectations: a 10 M-line load validated as one pandas frame
# held gigabytes; in slices the memory stays bounded whatever the load's size.
ROWS_PER_FRAME = 1_000_000


def _rows_frames(conn: duckdb.DuckDBPyConnection, entity: Entity, load_ids: list[int]
                 ) -> Iterator[pd.DataFrame]:
    """The rows of the loads, only the columns the expectations read (numbers with ranges as
    DOUBLE for GX), in slices of at most about ROWS_PER_FRAME rows. Rows are sliced by a hash
    of the key, so every version of a key is in the same slice and the uniqueness
    expectation holds over the whole load, not only within a slice."""
    needed = dict.fromkeys([*entity.key, "_load_id"])
    for column in entity.columns:
        if column.required or column.allowed or column.min_value is not None \
                or column.max_value is not None:
            needed[column.name] = None
    numeric = {Kind.MONEY, Kind.PRICE, Kind.RATE, Kind.INTEGER}
    select = []
    for name in needed:
        kind = entity.column(name).kind if name in entity.column_names else None
        cast = "DOUBLE" if kind in numeric else "VARCHAR" if kind else "BIGINT"
        select.append(f"CAST({ident(name)} AS {cast}) AS {ident(name)}")
    ids = ", ".join(str(int(i)) for i in load_ids)
    source = f"{qualified('raw', entity.table)} WHERE _load_id IN ({ids})"
    total = conn.execute(f"SELECT count(*) FROM {source}").fetchall()[0][0]
    slices = max(1, -(-int(total) // ROWS_PER_FRAME))
    key = ", ".join(ident(c) for c in [*entity.key, "_load_id"])
    for part in range(slices):
        where = f" AND hash({key}) % {slices} = {part}" if slices > 1 else ""
        yield conn.execute(f"SELECT {', '.join(select)} FROM {source}{where}").df()


def _describe(result: Any) -> str:
    config = result.expectation_config
    kwargs = {k: v for k, v in config.kwargs.items() if k not in ("batch_id",)}
    details = result.result or {}
    examples = details.get("partial_unexpected_list") or details.get("observed_value")
    count = details.get("unexpected_count")
    text = f"{config.type}({kwargs})"
    if count is not None:
        text += f": {count} unexpected"
    if examples:
        text += f", e.g. {str(examples)[:300]}"
    return text


class Validator:
    """One ephemeral Great Expectations context for many validations: a build validates 19
    entities, and a context per entity cost a datasource set-up each time. Great Expectations
    is imported on first use, so a build with nothing to validate never pays for it."""

    def __init__(self) -> None:
        self._gx: Any = None
        self._frames: Any = None

    @property
    def expectations(self) -> Any:
        """The module of expectation classes (great_expectations.expectations)."""
        self._start()
        return self._gx.expectations

    def _start(self) -> None:
        if self._gx is not None:
            return
        import great_expectations as gx
        import great_expectations.expectations
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        # One datasource, asset and batch definition for every frame (the frame is a batch
        # parameter): adding a datasource per validation re-serialised the whole context
        # config each time, 0.12 s a validation instead of 0.03 s.
        self._frames = (context.data_sources.add_pandas(SUITE).add_dataframe_asset("frames")
                        .add_batch_definition_whole_dataframe("whole"))
        self._gx = gx

    def validate(self, name: str, frame: pd.DataFrame, expectations: list[Any]) -> list[Any]:
        """The expectation results of `frame` against `expectations`."""
        self._start()
        suite = self._gx.ExpectationSuite(name=name)
        for expectation in expectations:
            suite.add_expectation(expectation)
        result = self._frames.get_batch(batch_parameters={"dataframe": frame}).validate(suite)
        return list(result.results)


def validate_pending_loads(conn: duckdb.DuckDBPyConnection, entity: Entity,
                           validator: Validator | None = None) -> SuiteOutcome:
    """Run the suite on every load of `entity` not yet passed; record and return the outcome.
    Pass one `validator` to validate many entities with one Great Expectations context."""
    outcome = SuiteOutcome(load_ids=pending_loads(conn, entity))
    if not outcome.load_ids:
        return outcome
    validator = validator or Validator()
    gxe = validator.expectations

    def run(name: str, frame: pd.DataFrame, expectations: list[Any]) -> None:
        results = validator.validate(f"{entity.table}.{name}", frame, expectations)
        outcome.expectations += len(results)
        outcome.failures += [f"{name}: {_describe(r)}" for r in results if not r.success]

    actual = conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'raw' AND table_name = ? ORDER BY ordinal_position",
        [entity.table],
    ).fetchall()
    expected = _expected_types(entity)
    schema = pd.DataFrame({
        "position": range(max(len(actual), len(expected))),
        "actual": [f"{n} {t}" for n, t in actual] + [None] * (len(expected) - len(actual)),
        "expected": [f"{n} {t}" for n, t in expected] + [None] * (len(actual) - len(expected)),
    })
    run("schema", schema, [gxe.ExpectColumnPairValuesToBeEqual(column_A="actual",
                                                              column_B="expected")])
    for rows in _rows_frames(conn, entity, outcome.load_ids):
        outcome.rows_checked += len(rows)
        run("rows", rows, _row_expectations(entity, gxe))
        del rows  # one slice in memory at a time
    ids = ", ".join(str(i) for i in outcome.load_ids)
    conservation = conn.execute(
        f"""
        SELECT log.file_path, log.rows_read,
               (SELECT count(*) FROM {qualified('raw', entity.table)} r
                 WHERE r._load_id = log.load_id)
             + (SELECT count(*) FROM audit.quarantine q WHERE q.load_id = log.load_id)
             + coalesce(log.rows_skipped, 0)
               AS rows_accounted
        FROM audit.load_log log WHERE log.load_id IN ({ids})
        """
    ).df()
    run("conservation", conservation, [gxe.ExpectColumnPairValuesToBeEqual(
        column_A="rows_read", column_B="rows_accounted")])
    conn.executemany(
        "INSERT INTO audit.load_checks VALUES (?, ?, ?, ?, now()::TIMESTAMP)",
        [[load_id, SUITE, outcome.passed, "\n".join(outcome.failures) or None]
         for load_id in outcome.load_ids],
    )
    return outcome


def retract_file(conn: duckdb.DuckDBPyConnection, file_path: str) -> list[int]:
    """Remove every load of `file_path` from raw and quarantine; the log keeps the history
    with status 'retracted', and the same bytes may be delivered again."""
    loads = conn.execute(
        "SELECT load_id, source, entity FROM audit.load_log "
        "WHERE file_path = ? AND status = 'loaded'", [file_path]).fetchall()
    conn.execute("BEGIN TRANSACTION")
    try:
        for load_id, source, entity_name in loads:
            conn.execute(f"DELETE FROM {qualified('raw', f'{source}__{entity_name}')} "
                         "WHERE _load_id = ?", [load_id])
            conn.execute("DELETE FROM audit.quarantine WHERE load_id = ?", [load_id])
            conn.execute("UPDATE audit.load_log SET status = 'retracted' WHERE load_id = ?",
                         [load_id])
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise
    return [int(r[0]) for r in loads]
