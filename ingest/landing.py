"""The landing folder: which files feed which entity, and loading an entity's new files.

Layout: `<landing>/<source>/<entity>/<any-name>.<ext>`. Files are taken in path order, so a
later delivery (e.g. `2026-11-29.csv` after `2026-11-28.csv`) gets a higher load id and wins
when the same key arrives twice with the same `updated_at`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ingest.contracts import Entity, FileResult
from ingest.loader import load_file
from ingest.readers import IN_PROGRESS_SUFFIXES, file_format
from ingest.warehouse import ensure_ingest_tables


@dataclass
class EntityLoad:
    """What one entity's ingest did in this run."""

    entity: Entity
    files: list[FileResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def total(self, attribute: str) -> int:
        return sum(getattr(f, attribute) for f in self.files)

    @property
    def rejected(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "rejected"]


def entity_folder(landing: Path, entity: Entity) -> Path:
    return landing / entity.source / entity.name


def discover_files(
    landing: Path, entity: Entity, settle_seconds: float = 0.0
) -> tuple[list[Path], list[str]]:
    """The entity's deliverable files in path order, and notes on what was passed over."""
    folder = entity_folder(landing, entity)
    if not folder.is_dir():
        return [], []
    files: list[Path] = []
    notes: list[str] = []
    now = time.time()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(landing).as_posix()
        if path.name.startswith("."):
            continue
        if path.name.lower().endswith(IN_PROGRESS_SUFFIXES):
            notes.append(f"{relative}: still being written (.part/.tmp), skipped")
            continue
        if settle_seconds and now - path.stat().st_mtime < settle_seconds:
            notes.append(f"{relative}: modified in the last {settle_seconds:g}s, skipped")
            continue
        if file_format(path) is None:
            notes.append(f"{relative}: not an accepted file type, ignored")
            continue
        files.append(path)
    return files, notes


def ingest_entity(
    conn: duckdb.DuckDBPyConnection,
    landing: Path,
    entity: Entity,
    settle_seconds: float = 0.0,
) -> EntityLoad:
    """Load every new file of `entity`; the raw table exists afterwards even with no files."""
    ensure_ingest_tables(conn)
    outcome = EntityLoad(entity)
    files, outcome.warnings = discover_files(landing, entity, settle_seconds)
    if not files:
        outcome.warnings.append(
            f"no files for {entity.source}/{entity.name} under "
            f"{entity_folder(landing, entity)}; raw.{entity.table} stays as it is (empty if new)"
        )
    for path in files:
        display = path.relative_to(landing).as_posix()
        outcome.files.append(load_file(conn, path, entity, display))
    return outcome
