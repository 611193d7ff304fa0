"""Load one export file into `raw.<source>__<entity>`: map, parse, validate, quarantine, log.

A file is parsed by DuckDB's reader into text columns; its profile mapping says where each
contract column comes from (a column, a constant, a template, a coalesce, a lookup); then one
SQL statement types every field and lists what is wrong with each row. Good rows go to the raw
table, bad rows to `audit.quarantine` with line, column and reason, and the counts to
`audit.load_log`, all in one transaction: a crash mid-file leaves nothing half-loaded, and
rows read = rows loaded + rows quarantined (+ rows a profile says are not records of the
entity, skipped).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ingest.contracts import Entity, FileResult
from ingest.profiles import FileMapping, Lookup, template_fields
from ingest.readers import (
    LINE_COLUMN,
    ReadOptions,
    Rejected,
    UnreadableFile,
    read_into_temp_table,
)
from ingest.sql import ident, literal, qualified
from ingest.values import field_sql
from ingest.warehouse import rollback

INPUT_TABLE = "_ingest_input"
PARSED_TABLE = "_ingest_parsed"
TYPED_TABLE = "_ingest_typed"  # parsed rows before the rules, when the rules join references


class RejectedFile(Exception):
    """The file as a whole cannot be loaded; the message says why and what to do."""


@dataclass(frozen=True)
class Delivery:
    """One landing file and how to read it."""

    path: Path
    display_path: str  # relative to the landing folder: what messages and tables show
    mapping: FileMapping
    root: Path  # the folder the profile's patterns (and lookups) are relative to

    @property
    def entity(self) -> Entity:
        return self.mapping.entity


def content_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def mapping_fingerprint(delivery: Delivery) -> str:
    """How the file is read: every setting of its profile mapping that shapes the rows (not
    the pattern that picked it), and the bytes of the files its lookups read. Part of a load's
    identity with the file's own bytes: editing the profile reloads the file."""
    mapping = delivery.mapping
    settings = {f.name: getattr(mapping, f.name) for f in dataclasses.fields(mapping)
                if f.name not in ("pattern", "entity")}
    settings["entity"] = mapping.entity.table
    settings["options"] = dataclasses.asdict(mapping.options)
    settings["lookups"] = {
        name: {**dataclasses.asdict(lookup),
               "bytes": [content_hash(p) for p in _lookup_files(delivery, lookup)]}
        for name, lookup in sorted(mapping.lookups.items())
    }
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def already_loaded(conn: duckdb.DuckDBPyConnection, digest: str, mapping_hash: str,
                   table: str) -> bool:
    """The same bytes, read the same way, are loaded in this table (under any path)."""
    rows = conn.execute(
        "SELECT count(*) FROM audit.load_log WHERE content_hash = ? AND mapping_hash = ? "
        "AND status = 'loaded' AND source || '__' || entity = ?",
        [digest, mapping_hash, table],
    ).fetchall()
    return rows[0][0] > 0


def _normalise(name: str) -> str:
    return name.strip().lstrip("\ufeff").strip().lower()


# Text is trimmed of spaces, tabs and line breaks; an empty field is NULL.
_BLANKS = "' ' || chr(9) || chr(10) || chr(13)"


def _text(column_sql: str) -> str:
    return f"NULLIF(trim(CAST({column_sql} AS VARCHAR), {_BLANKS}), '')"


@dataclass
class ColumnPlan:
    file_columns: list[str]
    texts: dict[str, str]  # contract column -> SQL giving its trimmed text (or NULL)
    extras: list[str]  # file columns that no contract column uses: kept in _extra
    joins: list[str]  # LEFT JOINs for lookups
    # SQL over the file's row `_in`: it is a record of the entity (profile only_rows_with).
    is_record: str | None = None


def plan_columns(
    conn: duckdb.DuckDBPyConnection,
    file_columns: list[str],
    delivery: Delivery,
) -> ColumnPlan:
    """Where each contract column comes from; refuse files the profile cannot map."""
    mapping, display = delivery.mapping, delivery.display_path
    by_name: dict[str, str] = {}
    for column in file_columns:
        key = _normalise(column)
        if key in by_name:
            raise RejectedFile(f"{display}: the header has column {column!r} twice; rename one "
                               "of them and deliver the file again")
        by_name[key] = column
    renamed = {_normalise(src): dst for src, dst in mapping.rename.items()}
    used: set[str] = set()

    def file_column(name: str, purpose: str) -> str:
        original = by_name.get(_normalise(name))
        if original is None:
            raise RejectedFile(f"{display}: the profile takes {purpose} from column {name!r}, "
                               f"which the file lacks; the header has {', '.join(file_columns)}")
        used.add(original)
        return f"_in.{ident(original)}"

    texts: dict[str, str] = {}
    joins: list[str] = []
    for column in mapping.entity.columns:
        name = column.name
        if name in mapping.constants:
            texts[name] = _text(literal(mapping.constants[name]))
        elif name in mapping.derive:
            template = mapping.derive[name]
            pieces = []
            for literal_part, field in _split_template(template):
                if literal_part:
                    pieces.append(literal(literal_part))
                if field is not None:
                    pieces.append(f"coalesce({_text(file_column(field, name))}, '')")
            texts[name] = f"NULLIF(trim({' || '.join(pieces) or literal('')}), '')"
        elif name in mapping.coalesce:
            texts[name] = "coalesce(" + ", ".join(
                _text(file_column(c, name)) for c in mapping.coalesce[name]) + ")"
        elif name in mapping.lookups:
            alias = f"_lookup_{len(joins)}"
            lookup = mapping.lookups[name]
            on = file_column(lookup.match, name)
            table = _lookup_table(conn, delivery, lookup, alias)
            joins.append(f"LEFT JOIN {table} AS {alias} ON {alias}.k = {_text(on)}")
            texts[name] = f"{alias}.v"
        else:
            sources = [c for c in file_columns if renamed.get(_normalise(c)) == name]
            if not sources and _normalise(name) in by_name and _normalise(name) not in renamed:
                sources = [by_name[_normalise(name)]]
            if sources:
                used.add(sources[0])
                texts[name] = _text(f"_in.{ident(sources[0])}")
        if name in texts:
            texts[name] = _apply_values_and_defaults(texts[name], name, mapping)
        elif name in mapping.defaults:
            texts[name] = _text(literal(mapping.defaults[name]))
    missing = [c for c in mapping.entity.required if c not in texts]
    if missing:
        raise RejectedFile(
            f"{display}: missing required column(s) {', '.join(missing)} for "
            f"{mapping.entity.source}/{mapping.entity.name}; the header has "
            f"{', '.join(file_columns)}. Add the columns, or map them in the folder's profile.yml"
        )
    is_record = " AND ".join(f"{_text(file_column(c, 'only_rows_with'))} IS NOT NULL"
                             for c in mapping.only_rows_with) or None
    extras = [c for c in file_columns if c not in used]
    return ColumnPlan(file_columns, texts, extras, joins, is_record)


def _split_template(template: str) -> list[tuple[str, str | None]]:
    """'{a}-{b}!' -> [('', 'a'), ('-', 'b'), ('!', None)]."""
    parts: list[tuple[str, str | None]] = []
    rest = template
    for field in template_fields(template):
        before, rest = rest.split("{" + field + "}", 1)
        parts.append((before, field))
    if rest:
        parts.append((rest, None))
    return parts


def _apply_values_and_defaults(text: str, name: str, mapping: FileMapping) -> str:
    pairs = mapping.values.get(name)
    if pairs:
        cases = " ".join(f"WHEN {literal(k)} THEN {literal(v)}" for k, v in pairs.items())
        text = f"NULLIF(CASE {text} {cases} ELSE {text} END, '')"
    if name in mapping.defaults:
        text = f"coalesce({text}, {literal(mapping.defaults[name])})"
    return text


def _lookup_table(conn: duckdb.DuckDBPyConnection, delivery: Delivery, lookup: Lookup,
                  alias: str) -> str:
    """A temp table k -> v from the lookup file(s), one value per key (the smallest, so the
    result does not depend on file order)."""
    files = _lookup_files(delivery, lookup)
    if not files:
        raise RejectedFile(f"{delivery.display_path}: the profile looks up values in "
                           f"{lookup.file!r}, but no such file was delivered beside it")
    selects = []
    for number, path in enumerate(files):
        table = f"{alias}_src{number}"
        columns = read_into_temp_table(conn, path, table, path.name,
                                       _read_options(delivery)).columns
        lowered = {_normalise(c): c for c in columns}
        for needed in (lookup.key, lookup.take):
            if _normalise(needed) not in lowered:
                raise RejectedFile(f"{delivery.display_path}: lookup file {path.name} has no "
                                   f"column {needed!r}")
        selects.append(f"SELECT {_text(ident(lowered[_normalise(lookup.key)]))} AS k, "
                       f"{_text(ident(lowered[_normalise(lookup.take)]))} AS v FROM {table}")
    conn.execute(
        f"CREATE OR REPLACE TEMP TABLE {alias} AS SELECT k, min(v) AS v FROM "
        f"({' UNION ALL '.join(selects)}) WHERE k IS NOT NULL GROUP BY k"
    )
    for number in range(len(files)):
        conn.execute(f"DROP TABLE IF EXISTS {alias}_src{number}")
    return alias


def _lookup_files(delivery: Delivery, lookup: Lookup) -> list[Path]:
    return sorted(p for p in delivery.root.rglob("*") if p.is_file()
                  and (p.name == lookup.file or p.relative_to(delivery.root).match(lookup.file)))


def _read_options(delivery: Delivery) -> ReadOptions:
    options = delivery.mapping.options
    return ReadOptions(encoding=options.encoding, delimiter=options.delimiter,
                       sheet=options.sheet)


def _parse_select(delivery: Delivery, plan: ColumnPlan, excel: bool) -> str:
    """The SELECT that types every field and collects each row's errors."""
    entity = delivery.entity
    local_dates = dict(entity.local_dates)
    values: list[str] = []
    errors: list[str] = []
    for column in entity.columns:
        text = plan.texts.get(column.name, "CAST(NULL AS VARCHAR)")
        sql = field_sql(column, text, delivery.mapping.options, excel_serials=excel)
        values.append(f"{sql.value} AS {ident(column.name)}")
        if column.name in local_dates:
            # The business date: the UTC instant back in the profile's zone (a date-only value
            # gives back the date as written).
            zone = literal(delivery.mapping.options.timezone)
            values.append(f"CAST(timezone({zone}, timezone('UTC', {sql.value})) AS DATE) "
                          f"AS {ident(local_dates[column.name])}")
        for condition, reason in sql.checks:
            errors.append(
                f"CASE WHEN {condition} THEN {{'column': {literal(column.name)}, "
                f"'reason': {literal(reason)}}} END"
            )
    extra_sql = (
        "json_object(" + ", ".join(f"{literal(c)}, _in.{ident(c)}" for c in plan.extras) + ")"
        if plan.extras else "CAST(NULL AS JSON)"
    )
    raw_sql = "json_object(" + ", ".join(
        f"{literal(c)}, _in.{ident(c)}" for c in plan.file_columns) + ")"
    error_list = "[" + ", ".join(errors) + "]" if errors else "[]"
    return (
        f"SELECT _in.{LINE_COLUMN} AS _source_line, "
        + ", ".join(values)
        + f", {extra_sql} AS _extra, "
        f"list_filter({error_list}, lambda e: e IS NOT NULL) AS _errors, "
        f"CAST({raw_sql} AS VARCHAR) AS _raw "
        f"FROM {INPUT_TABLE} AS _in " + " ".join(plan.joins)
        + (f" WHERE {plan.is_record}" if plan.is_record else "")
    )


def _with_references(delivery: Delivery) -> str:
    """The typed rows with each reference's matching row as a struct column named by its
    alias (so a rule reads `sold.quantity` beside the row's own `quantity`)."""
    columns, joins = [], []
    for number, reference in enumerate(delivery.entity.references):
        alias = f"_ref{number}"
        sql = (reference.sql.replace("$batch", TYPED_TABLE)
               .replace("$file", literal(delivery.display_path)))
        on = " AND ".join(f"_t.{ident(c)} = {alias}.{ident(c)}" for c in reference.on)
        joins.append(f"LEFT JOIN ({sql}) AS {alias} ON {on}")
        columns.append(f"{alias} AS {ident(reference.alias)}")
    return f"SELECT _t.*, {', '.join(columns)} FROM {TYPED_TABLE} AS _t {' '.join(joins)}"


def _exclude_references(entity: Entity) -> str:
    if not entity.references:
        return ""
    return f"EXCLUDE ({', '.join(ident(r.alias) for r in entity.references)}) "


def _rules_sql(delivery: Delivery) -> str:
    """Row rules over parsed columns, and key uniqueness within the file, added to `_errors`.

    When a key repeats in one file, the newest version (version column, then the later line)
    loads and the others are quarantined, naming the line that was kept. Only rows without
    other errors compete, so a broken newer row never displaces a good older one."""
    entity = delivery.entity
    keys = ", ".join(ident(k) for k in entity.key)
    order = (f"{ident(entity.version_column)} DESC NULLS LAST, " if entity.version_column
             else "") + "_source_line DESC"
    window = f"(PARTITION BY {keys}, len(_errors) = 0 ORDER BY {order})"
    all_keys = " AND ".join(f"{ident(k)} IS NOT NULL" for k in entity.key)
    duplicate = (
        f"CASE WHEN len(_errors) = 0 AND {all_keys} AND row_number() OVER {window} > 1 "
        f"THEN {{'column': {literal(entity.key[0])}, 'reason': 'duplicate key in this file; "
        f"the version at line ' || CAST(first_value(_source_line) OVER {window} AS VARCHAR) "
        f"|| ' is kept'}} END"
    )
    rule_errors = [
        f"CASE WHEN NOT ({condition}) THEN {{'column': {literal(column)}, "
        f"'reason': {literal(reason)}}} END"
        for column, condition, reason in entity.rules
    ]
    return (f"list_concat(_errors, list_filter([{', '.join([*rule_errors, duplicate])}], "
            "lambda e: e IS NOT NULL))")


def load_file(conn: duckdb.DuckDBPyConnection, delivery: Delivery) -> FileResult:
    """Load one file; returns what happened. Never raises for bad content: it reports it."""
    started = time.perf_counter()
    entity = delivery.entity
    digest = content_hash(delivery.path)
    result = FileResult(delivery.display_path, digest, entity.source, entity.name,
                        mapping_hash=mapping_fingerprint(delivery))
    if already_loaded(conn, digest, result.mapping_hash, entity.table):
        result.status = "skipped_duplicate"
        result.message = "the same bytes were loaded before, read the same way; nothing to do"
        return result
    try:
        _, rejected, result.rows_skipped = parse_file(conn, delivery)
    except duckdb.InterruptException:
        _drop_work_tables(conn)
        raise  # Ctrl-C: not a problem of the file; nothing of it was committed
    except (UnreadableFile, RejectedFile, duckdb.Error) as exc:
        result.status = "rejected"
        result.message = rejection_message(delivery, exc)
        _drop_work_tables(conn)
        _write_log(conn, result, delivery.path, started)
        return result
    _commit_file(conn, delivery, result, rejected, started)
    return result


def parse_file(conn: duckdb.DuckDBPyConnection,
               delivery: Delivery) -> tuple[ColumnPlan, list[Rejected], int]:
    """Read, map and type the whole file into the temp table PARSED_TABLE, each row with its
    `_errors` (empty: it loads); also returns the rows that are not records of the entity
    (skipped). Raises UnreadableFile, RejectedFile or duckdb.Error when the file cannot be
    loaded at all. Also what `sales-wh check` runs, on a scratch database."""
    entity = delivery.entity
    read = read_into_temp_table(conn, delivery.path, INPUT_TABLE, delivery.display_path,
                                _read_options(delivery))
    plan = plan_columns(conn, read.columns, delivery)
    # Timestamps without an offset are in the profile's time zone.
    conn.execute(f"SET TimeZone = {literal(delivery.mapping.options.timezone)}")
    try:
        parse = _parse_select(delivery, plan, read.fmt == "xlsx")
        if delivery.mapping.collapse_repeated_records:
            # Identical rows (every contract column, errors included) are one record: the
            # first line stands for it, the repeats are skipped.
            same = ", ".join(ident(c) for c in entity.column_names)
            parse = (f"SELECT * FROM ({parse}) QUALIFY row_number() OVER "
                     f"(PARTITION BY {same}, _errors ORDER BY _source_line) = 1")
        if entity.references:
            conn.execute(f"CREATE OR REPLACE TEMP TABLE {TYPED_TABLE} AS {parse}")
            parse = _with_references(delivery)
        conn.execute(
            f"CREATE OR REPLACE TEMP TABLE {PARSED_TABLE} AS "
            f"SELECT * {_exclude_references(entity)}"
            f"REPLACE ({_rules_sql(delivery)} AS _errors) FROM ({parse})"
        )
    finally:
        conn.execute("SET TimeZone = 'UTC'")
    skipped = 0
    if plan.is_record or delivery.mapping.collapse_repeated_records:
        # Every other row of the file is in PARSED_TABLE, once (lookups are unique per key).
        skipped = int(conn.execute(f"SELECT (SELECT count(*) FROM {INPUT_TABLE}) - "
                                   f"(SELECT count(*) FROM {PARSED_TABLE})").fetchall()[0][0])
    return plan, read.rejected, skipped


def rejection_message(delivery: Delivery, exc: Exception) -> str:
    if isinstance(exc, duckdb.Error):
        return f"{delivery.display_path}: {str(exc).strip().splitlines()[0]}"
    return str(exc)


def count_parsed(conn: duckdb.DuckDBPyConnection, rejected: list[Rejected],
                 result: FileResult) -> None:
    """Rows read, loaded, quarantined and the reasons, from PARSED_TABLE, the records the
    reader rejected and result.rows_skipped (rows read = loaded + quarantined + skipped)."""
    counts = conn.execute(
        f"SELECT count(*), count(*) FILTER (WHERE len(_errors) = 0) FROM {PARSED_TABLE}"
    ).fetchall()[0]
    result.rows_read = int(counts[0]) + len(rejected) + result.rows_skipped
    result.rows_loaded = int(counts[1])
    result.rows_quarantined = result.rows_read - result.rows_loaded - result.rows_skipped
    reasons = conn.execute(
        f"SELECT e.column || ': ' || e.reason AS reason, count(*) FROM "
        f"(SELECT unnest(_errors) AS e FROM {PARSED_TABLE}) GROUP BY ALL ORDER BY 1"
    ).fetchall()
    result.reasons = {reason: int(n) for reason, n in reasons}
    for r in rejected:
        key = r.reason.split(":")[0]
        result.reasons[key] = result.reasons.get(key, 0) + 1


def _drop_work_tables(conn: duckdb.DuckDBPyConnection) -> None:
    names = conn.execute(
        "SELECT table_name FROM duckdb_tables() WHERE temporary AND "
        "(table_name LIKE '\\_lookup\\_%' ESCAPE '\\' OR table_name IN (?, ?, ?))",
        [INPUT_TABLE, PARSED_TABLE, TYPED_TABLE],
    ).fetchall()
    for (name,) in names:
        conn.execute(f"DROP TABLE IF EXISTS {ident(name)}")


def _commit_file(
    conn: duckdb.DuckDBPyConnection,
    delivery: Delivery,
    result: FileResult,
    rejected: list[Rejected],
    started: float,
) -> None:
    entity = delivery.entity
    names = ", ".join(ident(c) for c in entity.column_names)
    local = "".join(f", {ident(name)}" for _, name in entity.local_dates)
    conn.execute("BEGIN TRANSACTION")
    try:
        load_id = _next_load_id(conn)
        result.load_id = load_id
        conn.execute(
            f"INSERT INTO {qualified('raw', entity.table)} "
            f"({names}, _extra, _source_file, _source_line, _load_id, _loaded_at, _row_hash"
            f"{local}) "
            f"SELECT {names}, _extra, ?, _source_line, ?, now()::TIMESTAMP, md5(_raw){local} "
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
        if rejected:
            conn.executemany(
                "INSERT INTO audit.quarantine VALUES (?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP)",
                [[load_id, result.file_path, entity.source, entity.name, r.line, r.column,
                  r.reason, r.raw] for r in rejected],
            )
        count_parsed(conn, rejected, result)
        notes = []
        if result.rows_quarantined:
            notes.append(f"{result.rows_quarantined} row(s) quarantined")
        if result.rows_skipped:
            why = []
            if delivery.mapping.only_rows_with:
                why.append(f"blank in {', '.join(delivery.mapping.only_rows_with)}, so not "
                           f"{entity.name} records (profile only_rows_with)")
            if delivery.mapping.collapse_repeated_records:
                why.append("repeats of a record on an earlier line (profile "
                           "collapse_repeated_records)")
            notes.append(f"{result.rows_skipped} row(s) skipped: {' or '.join(why)}")
        superseded, why = _supersede_earlier_loads(conn, result, load_id)
        if superseded:
            notes.append(f"{why}: supersedes load(s) {', '.join(map(str, superseded))} of "
                         "this file, whose rows no longer count")
        result.message = "; ".join(notes)
        _write_log(conn, result, delivery.path, started, load_id=load_id)
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise
    finally:
        _drop_work_tables(conn)


def _supersede_earlier_loads(conn: duckdb.DuckDBPyConnection, result: FileResult,
                             load_id: int) -> tuple[list[int], str]:
    """A file replaced in place (same path, new bytes) is the new version of that file: the
    rows of its earlier loads leave raw and quarantine (a row the new version dropped must not
    linger in the marts); the log keeps them as 'superseded'. Runs inside the load's
    transaction, so the switch is atomic."""
    earlier = [int(r[0]) for r in conn.execute(
        "SELECT load_id FROM audit.load_log WHERE file_path = ? AND source = ? AND entity = ? "
        "AND status = 'loaded' AND load_id <> ? ORDER BY load_id",
        [result.file_path, result.source, result.entity, load_id]).fetchall()]
    reason = _why_reloaded(conn, result, earlier)
    for old in earlier:
        supersede_load(conn, old, f"superseded by load {load_id} ({reason})")
    return earlier, reason


def _why_reloaded(conn: duckdb.DuckDBPyConnection, result: FileResult,
                  earlier: list[int]) -> str:
    if not earlier:
        return ""
    same_bytes = conn.execute(
        f"SELECT bool_and(content_hash = ?) FROM audit.load_log "
        f"WHERE load_id IN ({', '.join(map(str, earlier))})", [result.content_hash]).fetchall()
    return ("the same bytes read with a changed profile mapping" if same_bytes[0][0]
            else "new bytes at the same path")


def supersede_load(conn: duckdb.DuckDBPyConnection, load_id: int, why: str) -> None:
    """Take a load's rows out of raw and quarantine; the log keeps it as 'superseded', why.
    The caller holds the transaction."""
    source, entity_name = conn.execute(
        "SELECT source, entity FROM audit.load_log WHERE load_id = ?", [load_id]).fetchall()[0]
    conn.execute(f"DELETE FROM {qualified('raw', f'{source}__{entity_name}')} "
                 "WHERE _load_id = ?", [load_id])
    conn.execute("DELETE FROM audit.quarantine WHERE load_id = ?", [load_id])
    conn.execute("UPDATE audit.load_log SET status = 'superseded', message = "
                 "coalesce(message || '; ', '') || ? WHERE load_id = ?", [why, load_id])


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
        "INSERT INTO audit.load_log (load_id, file_path, content_hash, source, entity, "
        "file_bytes, rows_read, rows_loaded, rows_quarantined, status, message, seconds, "
        "loaded_at, mapping_hash, rows_skipped) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?, ?)",
        [
            load_id, result.file_path, result.content_hash, result.source, result.entity,
            path.stat().st_size, result.rows_read, result.rows_loaded, result.rows_quarantined,
            result.status, result.message, result.seconds, result.mapping_hash,
            result.rows_skipped,
        ],
    )
