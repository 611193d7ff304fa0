"""Readers: one export file → a temporary DuckDB table of text columns plus `_line`.

`_line` is where the record starts in the file as a person sees it: the physical line of a CSV
(the header is line 1; a quoted field with newlines makes its record span several lines), the
row number of an XLSX sheet, the line of a JSONL file, the row (1-based) of a Parquet file.

CSV is parsed by DuckDB (vectorised, parallel). Rows DuckDB cannot split into the header's
columns come back as `Rejected` records (quarantined by the loader, never dropped). When every
record is one line, a record's line is known from the rejects alone; when quoted fields carry
newlines or blank lines exist, Python's csv module re-reads the file to number the records.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import gzip
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd

from ingest.encodings import (
    CHUNK,
    EncodingError,
    detect_encoding,
    is_plain_utf8,
    open_bytes,
    transcode_to_utf8,
)
from ingest.sql import ident, literal

CSV_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".tsv.gz", ".txt")
MAX_FIELD_CHARS = 1 << 20  # a field longer than this is not a value of any contract column
XLSX_SUFFIXES = (".xlsx",)
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz")
PARQUET_SUFFIXES = (".parquet",)
ACCEPTED_SUFFIXES = CSV_SUFFIXES + XLSX_SUFFIXES + JSONL_SUFFIXES + PARQUET_SUFFIXES
IN_PROGRESS_SUFFIXES = (".part", ".tmp")

LINE_COLUMN = "_line"
REJECTS_TABLE = "_ingest_rejects"
REJECTS_SCAN = "_ingest_reject_scans"


class UnreadableFile(Exception):
    """The file cannot be parsed at all; the message names the file and the problem."""


@dataclass(frozen=True)
class ReadOptions:
    """How to read a file, from its source profile; None means detect."""

    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None


@dataclass(frozen=True)
class Rejected:
    """A record the reader could not split into the header's columns."""

    line: int
    column: str | None
    reason: str
    raw: str


@dataclass
class ReadResult:
    columns: list[str]
    fmt: str
    encoding: str | None = None
    rejected: list[Rejected] = field(default_factory=list)


def file_format(path: Path) -> str | None:
    name = path.name.lower()
    for fmt, suffixes in (("csv", CSV_SUFFIXES), ("xlsx", XLSX_SUFFIXES),
                          ("jsonl", JSONL_SUFFIXES), ("parquet", PARQUET_SUFFIXES)):
        if name.endswith(suffixes):
            return fmt
    return None


def read_into_temp_table(
    conn: duckdb.DuckDBPyConnection,
    path: Path,
    table: str,
    display_path: str,
    options: ReadOptions | None = None,
) -> ReadResult:
    """Create TEMP `table` (text columns + `_line`) from the file; return its columns."""
    options = options or ReadOptions()
    fmt = file_format(path)
    if fmt is None:
        raise UnreadableFile(
            f"{display_path}: unsupported file type; deliver one of {', '.join(ACCEPTED_SUFFIXES)}"
        )
    check_complete(path, display_path)
    try:
        if fmt == "csv":
            result = _read_csv(conn, path, table, options)
        elif fmt == "xlsx":
            result = _read_xlsx(conn, path, table, options)
        else:
            result = _read_scan(conn, path, table, fmt)
    except EncodingError as exc:
        raise UnreadableFile(f"{display_path}: {exc}") from exc
    except duckdb.Error as exc:
        first_line = str(exc).strip().splitlines()[0]
        raise UnreadableFile(f"{display_path}: cannot be read as {fmt}: {first_line}") from exc
    if not result.columns:
        raise UnreadableFile(f"{display_path}: no header row found")
    blank = [c for c in result.columns if not c.strip()]
    if blank:
        raise UnreadableFile(f"{display_path}: the header has an empty column name; name it")
    return result


def check_complete(path: Path, display_path: str) -> None:
    """Refuse, with the right words, a file that is empty or a gzip cut off in transfer (the
    readers would blame the encoding, or invent a header `column0`)."""
    if path.stat().st_size == 0:
        raise UnreadableFile(f"{display_path}: the file is empty (0 bytes); the export did not "
                             "complete: deliver it again")
    if not path.name.lower().endswith(".gz"):
        return
    size = 0
    try:
        with gzip.open(path, "rb") as handle:
            for block in iter(lambda: handle.read(CHUNK), b""):
                size += len(block)
    except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as exc:
        raise UnreadableFile(
            f"{display_path}: the gzip file is truncated or damaged ({exc}); it was cut off "
            "in transfer: deliver it again") from exc
    if size == 0:
        raise UnreadableFile(f"{display_path}: the file is empty once decompressed; deliver "
                             "it again")


# -- CSV ----------------------------------------------------------------------------------------

@contextlib.contextmanager
def _utf8_view(path: Path, encoding: str) -> Iterator[Path]:
    """The path DuckDB should read: the file itself when UTF-8, else a transcoded copy."""
    if is_plain_utf8(encoding):
        yield path
        return
    copy = transcode_to_utf8(path, encoding)
    try:
        yield copy
    finally:
        copy.unlink(missing_ok=True)


def _line_shape(path: Path) -> tuple[int, bool]:
    """(physical lines, whether any line is blank), reading bytes in chunks."""
    newlines = 0
    blank = False
    last = b"\n"
    ends_with_newline = True
    with open_bytes(path) as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            newlines += block.count(b"\n")
            joined = last + block
            if b"\n\n" in joined or b"\n\r\n" in joined:
                blank = True
            last = block[-1:]
            ends_with_newline = block.endswith(b"\n")
    return newlines + (0 if ends_with_newline else 1), blank


def _csv_scan(location: str, options: ReadOptions) -> str:
    """DuckDB's reader, all text, with rows it cannot split kept in the rejects table."""
    parts = [literal(location), "all_varchar = true", "header = true",
             "store_rejects = true", f"rejects_table = {literal(REJECTS_TABLE)}",
             f"rejects_scan = {literal(REJECTS_SCAN)}"]
    if options.delimiter:
        parts.append(f"delim = {literal(options.delimiter)}")
    return f"read_csv({', '.join(parts)})"


def _read_csv(
    conn: duckdb.DuckDBPyConnection, path: Path, table: str, options: ReadOptions
) -> ReadResult:
    encoding = detect_encoding(path, options.encoding)
    with _utf8_view(path, encoding) as readable:
        for leftover in (REJECTS_TABLE, REJECTS_SCAN):
            conn.execute(f"DROP TABLE IF EXISTS {ident(leftover)}")
        scan = _csv_scan(str(readable), options)
        try:
            columns = [r[0] for r in conn.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()]
            conn.execute(f"CREATE OR REPLACE TEMP TABLE {ident(table)} AS SELECT * FROM {scan}")
        except duckdb.Error:
            # DuckDB's sniffer gives up on some hand-made files (mixed line ends, ragged
            # rows); Python's csv module reads them record by record instead.
            columns, rejected = _read_csv_with_python(conn, readable, table, None, options)
            return ReadResult(columns, "csv", encoding, rejected)
        rejected = [
            Rejected(int(line), name, f"{error_type.lower()}: {message}", raw or "")
            for line, name, error_type, message, raw in conn.execute(
                f"SELECT line, column_name, error_type, error_message, csv_line "
                f"FROM {ident(REJECTS_TABLE)} ORDER BY line"
            ).fetchall()
        ]
        good = conn.execute(f"SELECT count(*) FROM {ident(table)}").fetchall()[0][0]
        lines, has_blank = _line_shape(readable)
        if lines - 1 == good + len(rejected) and not has_blank:
            _number_single_line_records(conn, table, [r.line for r in rejected])
        else:
            # Quoted newlines or blank lines: number the records with Python's csv reader.
            columns, rejected = _read_csv_with_python(conn, readable, table, columns, options)
        for leftover in (REJECTS_TABLE, REJECTS_SCAN):
            conn.execute(f"DROP TABLE IF EXISTS {ident(leftover)}")
    return ReadResult(columns, "csv", encoding, rejected)


def _number_single_line_records(
    conn: duckdb.DuckDBPyConnection, table: str, rejected_lines: list[int]
) -> None:
    """One record per line: the k-th good record is on the k-th data line not rejected."""
    if not rejected_lines:
        conn.execute(
            f"CREATE OR REPLACE TEMP TABLE {ident(table)} AS "
            f"SELECT *, rowid + 2 AS {LINE_COLUMN} FROM {ident(table)}"
        )
        return
    conn.execute("CREATE OR REPLACE TEMP TABLE _ingest_rejected_lines (line BIGINT)")
    conn.executemany("INSERT INTO _ingest_rejected_lines VALUES (?)",
                     [[line] for line in rejected_lines])
    total = conn.execute(f"SELECT count(*) FROM {ident(table)}").fetchall()[0][0] + len(
        rejected_lines)
    conn.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {ident(table)} AS
        WITH good_lines AS (
            SELECT line, row_number() OVER (ORDER BY line) - 1 AS k
            FROM range(2, {int(total) + 2}) AS r(line)
            WHERE line NOT IN (SELECT line FROM _ingest_rejected_lines)
        )
        SELECT t.*, good_lines.line AS {LINE_COLUMN}
        FROM (SELECT *, rowid AS _k FROM {ident(table)}) AS t
        JOIN good_lines ON t._k = good_lines.k
        ORDER BY {LINE_COLUMN}
        """
    )
    conn.execute(f"ALTER TABLE {ident(table)} DROP COLUMN _k")
    conn.execute("DROP TABLE _ingest_rejected_lines")


def _sniffed_dialect(conn: duckdb.DuckDBPyConnection, path: Path,
                     options: ReadOptions) -> tuple[str, str]:
    """Delimiter and quote: the profile's, else DuckDB's sniffer, else Python's, else comma."""
    if options.delimiter:
        return options.delimiter, '"'
    try:
        row = conn.execute(f"SELECT Delimiter, Quote FROM sniff_csv({literal(str(path))})")
        delimiter, quote = row.fetchall()[0]
        return delimiter, quote if quote and quote != "(empty)" else '"'
    except duckdb.Error:
        pass
    with open_bytes(path) as handle:
        sample = handle.read(64 * 1024).decode("utf-8-sig", errors="replace")
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        return dialect.delimiter, dialect.quotechar or '"'
    except csv.Error:
        return ",", '"'


def _read_csv_with_python(
    conn: duckdb.DuckDBPyConnection,
    path: Path,
    table: str,
    columns: list[str] | None,
    options: ReadOptions,
) -> tuple[list[str], list[Rejected]]:
    """Read the file record by record; returns its header and the records it could not use."""
    delimiter, quote = _sniffed_dialect(conn, path, options)
    records: list[list[str]] = []
    lines: list[int] = []
    rejected: list[Rejected] = []
    # Python's csv stops the whole file at a field over 128 KiB; read any size, and quarantine
    # the record whose field is implausibly large (an unclosed quote, a pasted blob).
    csv.field_size_limit(2**31 - 1)
    with open_bytes(path) as raw:
        text = (line.decode("utf-8-sig") for line in raw)
        reader = csv.reader(text, delimiter=delimiter, quotechar=quote)
        start = 1
        header_seen = False
        for fields in reader:
            line = start
            start = reader.line_num + 1
            if not fields:  # blank line
                continue
            if not header_seen:
                header_seen = True
                columns = [c.strip() for c in fields] if columns is None else columns
                continue
            huge = max(len(f) for f in fields)
            if huge > MAX_FIELD_CHARS:
                rejected.append(Rejected(
                    line, None, f"a field of {huge:,} characters (at most {MAX_FIELD_CHARS:,}): "
                    "an unclosed quote or a pasted file?", delimiter.join(fields)[:1000]))
                continue
            if len(fields) != len(columns):
                kind = "missing columns" if len(fields) < len(columns) else "too many columns"
                rejected.append(Rejected(line, None, f"{kind}: expected {len(columns)} fields, "
                                         f"found {len(fields)}", delimiter.join(fields)))
                continue
            records.append(fields)
            lines.append(line)
    columns = columns or []
    _records_to_temp_table(conn, table, columns, records, lines)
    return columns, rejected


def _records_to_temp_table(conn: duckdb.DuckDBPyConnection, table: str, columns: list[str],
                           records: list[list[str | None]], lines: list[int]) -> None:
    """Records read in Python → TEMP `table` of text columns (empty text as NULL) + `_line`."""
    frame = pd.DataFrame(records, columns=[f"c{i}" for i in range(len(columns))], dtype=object)
    frame[LINE_COLUMN] = pd.Series(lines, dtype="int64")
    renamed = ", ".join(f"NULLIF(CAST(c{i} AS VARCHAR), '') AS {ident(c)}"
                        for i, c in enumerate(columns))
    conn.register("_ingest_python_rows", frame)
    try:
        conn.execute(
            f"CREATE OR REPLACE TEMP TABLE {ident(table)} AS "
            f"SELECT {renamed}, {LINE_COLUMN} FROM _ingest_python_rows ORDER BY {LINE_COLUMN}"
        )
    finally:
        conn.unregister("_ingest_python_rows")


# -- XLSX ---------------------------------------------------------------------------------------

def _cell_text(value: object) -> str | None:
    """A cell as the text a person sees; dates as ISO, whole floats without '.0'."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return format(Decimal(repr(value)).normalize(), "f")
    return str(value)


def _read_xlsx(
    conn: duckdb.DuckDBPyConnection, path: Path, table: str, options: ReadOptions
) -> ReadResult:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise UnreadableFile(f"{path.name}: not a readable .xlsx workbook ({exc})") from exc
    try:
        sheet = book[options.sheet] if options.sheet else book.worksheets[0]
        header: list[str] | None = None
        records: list[list[str | None]] = []
        lines: list[int] = []
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_cell_text(v) for v in row]
            if not any(c is not None and c.strip() for c in cells):
                continue
            if header is None:
                header = [c or "" for c in cells]
                while header and not header[-1]:
                    header.pop()
                continue
            records.append((cells + [None] * len(header))[: len(header)])
            lines.append(number)
    finally:
        book.close()
    columns = header or []
    _records_to_temp_table(conn, table, columns, records, lines)
    return ReadResult(columns, "xlsx")


# -- JSONL and Parquet --------------------------------------------------------------------------

def _read_scan(conn: duckdb.DuckDBPyConnection, path: Path, table: str, fmt: str) -> ReadResult:
    location = literal(str(path))
    if fmt == "jsonl":
        scan = f"read_json({location}, format = 'newline_delimited')"
    else:
        scan = f"read_parquet({location})"
    columns = [row[0] for row in conn.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()]
    if fmt == "jsonl":  # read every value as its text; nested values as JSON
        typed = ", ".join(f"{literal(c)}: 'VARCHAR'" for c in columns)
        scan = f"read_json({location}, format = 'newline_delimited', columns = {{{typed}}})"
    as_text = ", ".join(f"CAST({ident(c)} AS VARCHAR) AS {ident(c)}" for c in columns)
    # Insertion order is file order, so rowid numbers the records (JSONL lines, Parquet rows).
    conn.execute(f"CREATE OR REPLACE TEMP TABLE {ident(table)} AS SELECT {as_text} FROM {scan}")
    conn.execute(
        f"CREATE OR REPLACE TEMP TABLE {ident(table)} AS "
        f"SELECT *, rowid + 1 AS {LINE_COLUMN} FROM {ident(table)}"
    )
    return ReadResult(columns, fmt)
