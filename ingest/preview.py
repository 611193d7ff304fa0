"""`sales-wh check`: what a landing folder would load, without touching the warehouse.

Each delivery (a file and the entity its profile maps it to) is parsed whole by the loader's
own code on a scratch in-memory database, so the counts, the quarantine reasons and the first
rows are exactly what a build would load. Rules that read other files' rows (a return against
its order line) see no earlier loads here; a build applies them against the warehouse.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ingest.contracts import ENTITIES, Entity, FileResult
from ingest.landing import LandingScan, scan_landing
from ingest.loader import (
    PARSED_TABLE,
    Delivery,
    RejectedFile,
    count_parsed,
    parse_file,
    rejection_message,
)
from ingest.readers import UnreadableFile
from ingest.sql import ident
from ingest.warehouse import ensure_ingest_tables

CELL_WIDTH = 22


@dataclass
class DeliveryPreview:
    delivery: Delivery
    result: FileResult
    columns: list[str] = field(default_factory=list)  # contract columns the mapping fills
    rows: list[tuple] = field(default_factory=list)  # (line, values..., problems or None)
    extras: list[str] = field(default_factory=list)  # file columns kept in _extra only


@dataclass
class LandingCheck:
    scan: LandingScan
    previews: list[DeliveryPreview]
    unfed: list[Entity]  # entities no file maps to

    @property
    def rejected(self) -> list[DeliveryPreview]:
        return [p for p in self.previews if p.result.status == "rejected"]


def check_landing(landing: Path, rows: int = 5) -> LandingCheck:
    scan = scan_landing(landing)
    previews = []
    if scan.deliveries:
        with tempfile.TemporaryDirectory(prefix="sales-wh-check-") as scratch:
            conn = duckdb.connect(":memory:")
            try:
                # Spill to disk like the warehouse would: a 10-million-line file fits.
                conn.execute(f"SET temp_directory = '{scratch}'")
                conn.execute("SET TimeZone = 'UTC'")
                ensure_ingest_tables(conn)
                previews = [preview_delivery(conn, d, rows) for d in scan.deliveries]
            finally:
                conn.close()
    fed = {d.entity.table for d in scan.deliveries}
    return LandingCheck(scan, previews, [e for e in ENTITIES if e.table not in fed])


def preview_delivery(conn: duckdb.DuckDBPyConnection, delivery: Delivery,
                     rows: int) -> DeliveryPreview:
    entity = delivery.entity
    result = FileResult(delivery.display_path, "", entity.source, entity.name)
    preview = DeliveryPreview(delivery, result)
    try:
        plan, rejected, result.rows_skipped = parse_file(conn, delivery)
    except (UnreadableFile, RejectedFile, duckdb.Error) as exc:
        result.status = "rejected"
        result.message = rejection_message(delivery, exc)
        return preview
    count_parsed(conn, rejected, result)
    preview.columns = [c for c in entity.column_names if c in plan.texts]
    preview.extras = plan.extras
    selected = ", ".join(f"CAST({ident(c)} AS VARCHAR)" for c in preview.columns)
    problems = ("CASE WHEN len(_errors) > 0 THEN array_to_string(list_transform(_errors, "
                "lambda e: e.column || ': ' || e.reason), '; ') END")
    preview.rows = conn.execute(
        f"SELECT _source_line, {selected}, {problems} FROM {PARSED_TABLE} "
        f"ORDER BY _source_line LIMIT {int(rows)}").fetchall()
    conn.execute(f"DROP TABLE IF EXISTS {PARSED_TABLE}")
    return preview


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= CELL_WIDTH else text[: CELL_WIDTH - 1] + "…"


def format_check(check: LandingCheck) -> list[str]:
    """The report, line by line."""
    lines = []
    for preview in check.previews:
        d, r = preview.delivery, preview.result
        lines.append(f"{d.display_path} -> {d.entity.source}/{d.entity.name}"
                     f"  (pattern {d.mapping.pattern!r})")
        if r.status == "rejected":
            lines.append(f"  REJECTED whole: {r.message}")
            lines.append("")
            continue
        skipped = (f", {r.rows_skipped:,} skipped (blank in "
                   f"{', '.join(d.mapping.only_rows_with)}: not {d.entity.name} records)"
                   if r.rows_skipped else "")
        lines.append(f"  {r.rows_read:,} rows: {r.rows_loaded:,} would load, "
                     f"{r.rows_quarantined:,} would be quarantined{skipped}")
        for reason, count in sorted(r.reasons.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"    {count:>9,}  {reason}")
        if preview.extras:
            lines.append(f"  kept in _extra (no contract column): {', '.join(preview.extras)}")
        if preview.rows:
            header = ["line", *preview.columns]
            table = [[_cell(v) for v in row[:-1]] for row in preview.rows]
            widths = [max(len(h), *(len(t[i]) for t in table)) for i, h in enumerate(header)]
            lines.append(f"  first {len(preview.rows)} rows as they would load:")
            heading = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
            lines.append(f"    {heading}".rstrip())
            for row, cells in zip(preview.rows, table, strict=True):
                text = "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))
                lines.append(f"    {text}".rstrip())
                if row[-1]:
                    lines.append(f"      ^ quarantined: {row[-1]}")
        lines.append("")
    for note in check.scan.notes:
        lines.append(f"note: {note}")
    if check.unfed:
        lines.append("no files for: " + ", ".join(f"{e.source}/{e.name}" for e in check.unfed)
                     + " (their tables stay empty, or as they are)")
    for problem in check.scan.problems:
        lines.append(f"PROBLEM: {problem}")
    return lines
