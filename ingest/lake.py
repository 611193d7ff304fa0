"""The lake: the raw tables as Parquet files, for engines that cannot read the DuckDB file.

On Spark, dbt's sources are external tables over `<lake>/raw/<source>__<entity>/`
(dbt_project/macros/spark_sources.sql), so after each ingest `sync_lake` makes those folders
say what `raw.*` says:

    <lake>/raw/<table>/schema.parquet               zero rows: the table's columns and types
    <lake>/raw/<table>/load_id=<n>/part-0.parquet   every row of load n, in `_source_line` order

One folder per load because that is how raw changes: a load adds its rows in one transaction,
and a superseded or retracted load takes all of its rows out again (loader.supersede_load,
quality.retract_file). So a sync adds or removes whole folders, never edits a file Spark may be
reading, and its cost follows the loads that changed, not the size of raw. Only a change of the
table's columns rewrites its files (each replaced in one rename). Which loads count is what raw
holds (its distinct `_load_id`s), not the log: a load whose every row was quarantined has no
rows, so no folder.

A reader never sees half a load: each folder is written under a temporary name starting with
`.` (which Spark skips) and renamed into place. A sync killed midway leaves at most such a
temporary, which the next sync deletes. `schema.parquet` exists because Spark infers an
external table's schema from its files, and an entity nobody delivered yet has no load.

One sync at a time per lake: a sync deletes the temporaries it finds, another sync's included.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ingest.files import fsync_path
from ingest.sql import literal, qualified

RAW_SCHEMA = "raw"
SCHEMA_FILE = "schema.parquet"
PART_FILE = "part-0.parquet"
# Spark, Hadoop and DuckDB's globs all skip names starting with "." (Spark also "_").
TEMP_PREFIX = ".tmp-"
# Where schema.parquet keeps the columns it was written for: comparing them with the table's
# says whether the lake's files still have the table's shape, without parsing Parquet types.
COLUMNS_KEY = "sales_wh_columns"

_LOAD_FOLDER = re.compile(r"load_id=(\d+)")


class LakeError(Exception):
    """Raw holds something the lake cannot mirror; the message says what."""


@dataclass(frozen=True)
class LakeSync:
    """What one sync changed: (table, load_id) of the load folders written and removed, and
    the tables whose schema.parquet was (re)written."""

    written: tuple[tuple[str, int], ...]
    removed: tuple[tuple[str, int], ...]
    schemas: tuple[str, ...]
    tables: int  # raw tables mirrored
    seconds: float

    @property
    def changed(self) -> bool:
        return bool(self.written or self.removed or self.schemas)


def sync_lake(conn: duckdb.DuckDBPyConnection, lake_dir: Path) -> LakeSync:
    """Make `<lake_dir>/raw/` mirror DuckDB's `raw` schema, one folder per load; idempotent."""
    started = time.perf_counter()
    root = Path(lake_dir) / RAW_SCHEMA
    root.mkdir(parents=True, exist_ok=True)
    _remove_temporaries(root)
    written: list[tuple[str, int]] = []
    removed: list[tuple[str, int]] = []
    schemas: list[str] = []
    tables = raw_tables(conn)
    for table in tables:
        outcome = _sync_table(conn, root, table)
        written += [(table, n) for n in outcome[0]]
        removed += [(table, n) for n in outcome[1]]
        if outcome[2]:
            schemas.append(table)
    removed += _remove_dropped_tables(root, set(tables))
    return LakeSync(tuple(written), tuple(removed), tuple(schemas), len(tables),
                    time.perf_counter() - started)


def raw_tables(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """The base tables of schema `raw` in the connection's own database, by name."""
    rows = conn.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = ? AND NOT temporary ORDER BY table_name", [RAW_SCHEMA]).fetchall()
    names = [str(name) for (name,) in rows]
    for name in names:
        # The name becomes a folder: one that climbs out of the lake or hides from readers
        # would mirror the table somewhere nobody looks.
        if name in (".", "..") or "/" in name or os.sep in name or name.startswith("."):
            raise LakeError(f"raw.{name}: not a name the lake can use as a folder")
    return names


def table_columns(conn: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    """(name, DuckDB type) of each column of raw.<table>, in order."""
    rows = conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_catalog = current_database() AND table_schema = ? AND table_name = ? "
        "ORDER BY ordinal_position", [RAW_SCHEMA, table]).fetchall()
    return [(str(name), str(kind)) for name, kind in rows]


def raw_load_ids(conn: duckdb.DuckDBPyConnection, table: str) -> set[int]:
    """The loads raw.<table> holds rows of: the loads that count."""
    rows = conn.execute(f"SELECT DISTINCT _load_id FROM {qualified(RAW_SCHEMA, table)}"
                        ).fetchall()
    ids = {r[0] for r in rows}
    if None in ids:
        # A row in no load would be in DuckDB's answers and never in Spark's.
        raise LakeError(f"raw.{table} has rows without a _load_id; the lake keeps rows per "
                        "load, so these have nowhere to go. Delete or reload them")
    return {int(i) for i in ids}


def _sync_table(conn: duckdb.DuckDBPyConnection, root: Path, table: str
                ) -> tuple[list[int], list[int], bool]:
    """(loads written, loads removed, schema written) for one table."""
    folder = root / table
    folder.mkdir(exist_ok=True)
    _remove_temporaries(folder)
    columns = table_columns(conn, table)
    names = {name for name, _ in columns}
    if not {"_load_id", "_source_line"} <= names:
        raise LakeError(f"raw.{table} lacks _load_id or _source_line: not a table ingest made")
    wanted = raw_load_ids(conn, table)
    present = _present_loads(folder)
    fingerprint = json.dumps(columns, separators=(",", ":"))
    # A changed table shape (a column added by ensure_raw_table, back-filled) changes the rows
    # of every load, and Spark infers an external table's schema from any one of its files:
    # all of them must have the table's shape again.
    reshaped = _written_columns(folder / SCHEMA_FILE) != fingerprint
    removed = sorted(present - wanted)
    for load_id in removed:
        _remove_tree(folder / f"load_id={load_id}", folder)
    written = []
    for load_id in sorted(wanted):
        if load_id not in present:
            _write_new_load(conn, folder, table, load_id)
        elif reshaped:
            _rewrite_load(conn, folder, table, load_id)
        else:
            continue
        written.append(load_id)
    if reshaped:
        # Last: until every load has the new shape, the next sync must still see the old one
        # here and redo the rewrite.
        _write_schema(conn, folder, table, fingerprint)
    return written, removed, reshaped


def _present_loads(folder: Path) -> set[int]:
    """The load folders complete in `folder`. One without its part file is not a folder this
    module made whole (someone deleted the file): removed, so it is written again."""
    present = set()
    for entry in folder.iterdir():
        match = _LOAD_FOLDER.fullmatch(entry.name)
        if not match:
            continue
        if entry.is_dir() and not entry.is_symlink() and (entry / PART_FILE).is_file():
            _remove_temporaries(entry)
            present.add(int(match.group(1)))
        else:
            _remove_tree(entry, folder)
    return present


def _load_query(table: str, load_id: int) -> str:
    return (f"SELECT * FROM {qualified(RAW_SCHEMA, table)} WHERE _load_id = {int(load_id)} "
            "ORDER BY _source_line")


def _copy(conn: duckdb.DuckDBPyConnection, query: str, target: Path, extra: str = "") -> None:
    conn.execute(f"COPY ({query}) TO {literal(str(target))} (FORMAT parquet{extra})").fetchall()
    # The rename that publishes the file must not reach the disk before its bytes do: after a
    # power cut a reader would find an empty part file under a final name.
    fsync_path(target)


def _write_new_load(conn: duckdb.DuckDBPyConnection, folder: Path, table: str,
                    load_id: int) -> None:
    temp = folder / f"{TEMP_PREFIX}load_id={load_id}-{secrets.token_hex(4)}"
    temp.mkdir()
    _copy(conn, _load_query(table, load_id), temp / PART_FILE)
    fsync_path(temp)
    temp.rename(folder / f"load_id={load_id}")
    fsync_path(folder)


def _rewrite_load(conn: duckdb.DuckDBPyConnection, folder: Path, table: str,
                  load_id: int) -> None:
    # A folder cannot replace a non-empty folder in one rename; its file can, so a reader sees
    # the old file or the new one, and the load never disappears in between.
    final = folder / f"load_id={load_id}"
    temp = final / f"{TEMP_PREFIX}{secrets.token_hex(4)}-{PART_FILE}"
    _copy(conn, _load_query(table, load_id), temp)
    os.replace(temp, final / PART_FILE)
    fsync_path(final)


def _write_schema(conn: duckdb.DuckDBPyConnection, folder: Path, table: str,
                  fingerprint: str) -> None:
    temp = folder / f"{TEMP_PREFIX}{secrets.token_hex(4)}-{SCHEMA_FILE}"
    _copy(conn, f"SELECT * FROM {qualified(RAW_SCHEMA, table)} LIMIT 0", temp,
          f", KV_METADATA {{{COLUMNS_KEY}: {literal(fingerprint)}}}")
    os.replace(temp, folder / SCHEMA_FILE)
    fsync_path(folder)


def _written_columns(schema_file: Path) -> str | None:
    """The columns schema.parquet was written for, None when there is no readable one."""
    if not schema_file.is_file():
        return None
    try:
        # A connection of its own: reading a file needs no warehouse, and the caller's
        # connection may be inside a transaction we must not disturb with an error.
        with duckdb.connect() as reader:
            rows = reader.execute(
                "SELECT value FROM parquet_kv_metadata(?) WHERE key = ?",
                [str(schema_file), COLUMNS_KEY.encode()]).fetchall()
    except duckdb.Error:
        return None  # not Parquet (a truncated copy): written again
    return bytes(rows[0][0]).decode("utf-8") if rows else None


def _remove_dropped_tables(root: Path, tables: set[str]) -> list[tuple[str, int]]:
    """Folders of tables raw no longer has (a contract dropped an entity): gone, or Spark
    would keep serving rows DuckDB dropped. Only folders with a schema.parquet are ours."""
    removed = []
    for entry in sorted(root.iterdir()):
        if entry.name in tables or entry.name.startswith(TEMP_PREFIX) or not entry.is_dir() \
                or not (entry / SCHEMA_FILE).is_file():
            continue
        loads = sorted(int(m.group(1)) for p in entry.iterdir()
                       if (m := _LOAD_FOLDER.fullmatch(p.name)))
        _remove_tree(entry, root)
        removed += [(entry.name, n) for n in loads]
    return removed


def _remove_tree(path: Path, parent: Path) -> None:
    # Renamed out of sight first, so a reader never lists a folder whose file is half deleted;
    # a crash during the delete leaves a temporary, which the next sync removes.
    hidden = parent / f"{TEMP_PREFIX}removed-{path.name}-{secrets.token_hex(4)}"
    path.rename(hidden)
    fsync_path(parent)
    _delete(hidden)


def _remove_temporaries(folder: Path) -> None:
    for entry in folder.iterdir():
        if entry.name.startswith(TEMP_PREFIX):
            _delete(entry)


def _delete(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)
