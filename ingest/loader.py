"""Load one export file into `raw.<source>__<entity>`: parse, validate, quarantine, log.

A file is parsed by DuckDB's own reader into text columns, then one SQL statement types every
field and lists what is wrong with each row. Good rows go to the raw table, bad rows to
`audit.quarantine` with line, column and reason, and the counts to `audit.load_log`, all in one
transaction: a crash mid-file leaves nothing half-loaded, and rows read = loaded + quarantined.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import duckdb

from ingest.contracts import Entity, FileResult
from ingest.readers import UnreadableFile, read_into_temp_table
from ingest.sql import ident, literal, qualified
from ingest.values import field_sql

INPUT_TABLE = "_ingest_input"
PARSED_TABLE = "_ingest_parsed"


class RejectedFile(Exception):
    """The file as a whole cannot be loaded; the message says why and what to do."""


def content_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def already_loaded(conn: duckdb.DuckDBPyConnection, digest: str) -> bool:
    rows = conn.execute(
        "SELECT count(*) FROM audit.load_log WHERE content_hash = ? AND status = 'loaded'",
        [digest],
    ).fetchall()
    return rows[0][0] > 0


def _normalise(name: str) -> str:
    return name.strip().lstrip("\ufeff").strip().lower()


def map_header(file_columns: list[str], entity: Entity, display_path: str) -> dict[str, str]:
    """Contract column → file column; refuse files whose header cannot be matched."""
    by_name: dict[str, str] = {}
    for column in file_columns:
        key = _normalise(column)
        if key in by_name:
            raise RejectedFile(
                f"{display_path}: the header has column {column!r} twice; "
                "rename one of them and deliver the file again"
            )
        by_name[key] = column
    missing = [name for name in entity.required if name not in by_name]
    if missing:
        raise RejectedFile(
            f"{display_path}: missing required column(s) {', '.join(missing)} for "
            f"{entity.source}/{entity.name}; the header has {', '.join(file_columns)}. "
            "Add the columns, or map them with a source profile"
        )
    return {c.name: by_name[c.name] for c in entity.columns if c.name in by_name}


def _parse_select(entity: Entity, mapping: dict[str, str], file_columns: list[str]) -> str:
    """The SELECT that types every field and collects each row's errors."""
    values: list[str] = []
    errors: list[str] = []
    for column in entity.columns:
        raw = ident(mapping[column.name]) if column.name in mapping else None
        sql = field_sql(column, raw)
        values.append(f"{sql.value} AS {ident(column.name)}")
        for condition, reason in sql.checks:
            errors.append(
                f"CASE WHEN {condition} THEN {{'column': {literal(column.name)}, "
                f"'reason': {literal(reason)}}} END"
            )
    mapped = set(mapping.values())
    extras = [c for c in file_columns if c not in mapped]
    extra_sql = (
        "json_object(" + ", ".join(f"{literal(c)}, {ident(c)}" for c in extras) + ")"
        if extras
        else "CAST(NULL AS JSON)"
    )
    error_list = "[" + ", ".join(errors) + "]" if errors else "[]"
    return (
        "SELECT rowid + 2 AS _source_line, "
        + ", ".join(values)
        + f", {extra_sql} AS _extra, "
        f"list_filter({error_list}, lambda e: e IS NOT NULL) AS _errors, "
        f"CAST(to_json(_in) AS VARCHAR) AS _raw "
        f"FROM {INPUT_TABLE} AS _in"
    )


def _rules_sql(entity: Entity) -> str:
    """Row rules over parsed columns, appended to `_errors`."""
    if not entity.rules:
        return "_errors"
    rule_errors = ", ".join(
        f"CASE WHEN NOT ({condition}) THEN {{'column': {literal(column)}, "
        f"'reason': {literal(reason)}}} END"
        for column, condition, reason in entity.rules
    )
    return f"list_concat(_errors, list_filter([{rule_errors}], lambda e: e IS NOT NULL))"


def load_file(
    conn: duckdb.DuckDBPyConnection,
    path: Path,
    entity: Entity,
    display_path: str,
) -> FileResult:
    """Load one file; returns what happened. Never raises for bad content: it reports it."""
    started = time.perf_counter()
    digest = content_hash(path)
    result = FileResult(display_path, digest, entity.source, entity.name)
    if already_loaded(conn, digest):
        result.status = "skipped_duplicate"
        result.message = "the same bytes were loaded before; nothing to do"
        return result
    try:
        file_columns = read_into_temp_table(conn, path, INPUT_TABLE, display_path)
        mapping = map_header(file_columns, entity, display_path)
        conn.execute(
            f"CREATE OR REPLACE TEMP TABLE {PARSED_TABLE} AS "
            f"SELECT * REPLACE ({_rules_sql(entity)} AS _errors) "
            f"FROM ({_parse_select(entity, mapping, file_columns)})"
        )
    except (UnreadableFile, RejectedFile) as exc:
        result.status = "rejected"
        result.message = str(exc)
        _write_log(conn, result, path, started)
        return result
    _commit_file(conn, entity, result, path, started)
    return result


def _commit_file(
    conn: duckdb.DuckDBPyConnection,
    entity: Entity,
    result: FileResult,
    path: Path,
    started: float,
) -> None:
    names = ", ".join(ident(c) for c in entity.column_names)
    conn.execute("BEGIN TRANSACTION")
    try:
        load_id = _next_load_id(conn)
        result.load_id = load_id
        conn.execute(
            f"INSERT INTO {qualified('raw', entity.table)} "
            f"({names}, _extra, _source_file, _source_line, _load_id, _loaded_at, _row_hash) "
            f"SELECT {names}, _extra, ?, _source_line, ?, now()::TIMESTAMP, md5(_raw) "
            f"FROM {PARSED_TABLE} WHERE len(_errors) = 0 ORDER BY _source_line",
            [result.file_path, load_id],
        )
        conn.execute(
            "INSERT INTO audit.quarantine SELECT ?, ?, ?, ?, _source_line, "
            "_errors[1].column, "
            "array_to_string("
            "list_transform(_errors, lambda e: e.column || ': ' || e.reason), '; '), "
            "_raw, now()::TIMESTAMP "
            f"FROM {PARSED_TABLE} WHERE len(_errors) > 0 ORDER BY _source_line",
            [load_id, result.file_path, entity.source, entity.name],
        )
        counts = conn.execute(
            f"SELECT count(*), count(*) FILTER (WHERE len(_errors) = 0) FROM {PARSED_TABLE}"
        ).fetchall()[0]
        result.rows_read, result.rows_loaded = int(counts[0]), int(counts[1])
        result.rows_quarantined = result.rows_read - result.rows_loaded
        reasons = conn.execute(
            f"SELECT e.column || ': ' || e.reason AS reason, count(*) FROM "
            f"(SELECT unnest(_errors) AS e FROM {PARSED_TABLE}) GROUP BY ALL ORDER BY 1"
        ).fetchall()
        result.reasons = {reason: int(n) for reason, n in reasons}
        if result.rows_quarantined:
            result.message = f"{result.rows_quarantined} row(s) quarantined"
        _write_log(conn, result, path, started, load_id=load_id)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    finally:
        conn.execute(f"DROP TABLE IF EXISTS {PARSED_TABLE}")
        conn.execute(f"DROP TABLE IF EXISTS {INPUT_TABLE}")


def _next_load_id(conn: duckdb.DuckDBPyConnection) -> int:
    # One writer at a time (the warehouse pool has one slot), so max + 1 cannot race.
    return int(conn.execute("SELECT coalesce(max(load_id), 0) + 1 FROM audit.load_log")
               .fetchall()[0][0])


def _write_log(
    conn: duckdb.DuckDBPyConnection,
    result: FileResult,
    path: Path,
    started: float,
    load_id: int | None = None,
) -> None:
    if load_id is None:
        load_id = _next_load_id(conn)
        result.load_id = load_id
    result.seconds = time.perf_counter() - started
    conn.execute(
        "INSERT INTO audit.load_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP)",
        [
            load_id, result.file_path, result.content_hash, result.source, result.entity,
            path.stat().st_size, result.rows_read, result.rows_loaded, result.rows_quarantined,
            result.status, result.message, result.seconds,
        ],
    )
