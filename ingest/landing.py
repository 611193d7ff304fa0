"""The landing folder: which files feed which entity, and loading an entity's new files.

Each folder directly under the landing folder is one delivery source:
- `crm/`, `orders/`, `survey/`, `plan/` in the canonical layout `<source>/<entity>/<file>`
  (a `profile.yml` there may set reading options only);
- any other folder with a `profile.yml` that maps its files onto entities (see profiles.py).
Files are taken in path order, so a later delivery (e.g. `2026-11-29.csv` after
`2026-11-28.csv`) gets a higher load id and wins when the same key arrives twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ingest.contracts import Entity, FileResult
from ingest.loader import Delivery, load_file, supersede_load
from ingest.profiles import PROFILE_FILE, SOURCES, ProfileError, canonical_profile, load_profile
from ingest.readers import IN_PROGRESS_SUFFIXES, file_format
from ingest.warehouse import ensure_ingest_tables, rollback

PLANS_FOLDER = "commission_plans"  # <landing>/plan/commission_plans/*.yml (PAYOUTS.md)


@dataclass
class LandingScan:
    deliveries: list[Delivery] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # files passed over, and why
    problems: list[str] = field(default_factory=list)  # broken profiles: errors, not notes
    # Every file present under a folder with a working profile -> the raw tables its profile
    # maps it to now (even if skipped this time, e.g. still being written).
    mapped: dict[str, set[str]] = field(default_factory=dict)


@dataclass
class EntityLoad:
    """What one entity's ingest did in this run."""

    entity: Entity
    files: list[FileResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def total(self, attribute: str) -> int:
        return sum(getattr(f, attribute) for f in self.files)

    @property
    def rejected(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "rejected"]


def scan_landing(landing: Path, settle_seconds: float = 0.0) -> LandingScan:
    scan = LandingScan()
    if not landing.is_dir():
        scan.problems.append(f"landing folder {landing} does not exist")
        return scan
    now = time.time()
    root = landing.resolve()
    for folder in sorted(p for p in landing.iterdir() if not p.name.startswith(".")):
        if not folder.resolve().is_relative_to(root):
            scan.notes.append(f"{folder.name}: a link to {folder.resolve()}, outside the "
                              "landing folder; refused (copy the files in instead)")
            continue
        if not folder.is_dir():
            scan.notes.append(f"{folder.name}: files belong in a source folder "
                              "(e.g. crm/opportunities/); ignored")
            continue
        try:
            if (folder / PROFILE_FILE).exists():
                profile = load_profile(folder / PROFILE_FILE, landing_root=root)
            elif folder.name in SOURCES:
                profile = canonical_profile(folder.name)
            else:
                scan.notes.append(f"{folder.name}/: not a source ({', '.join(SOURCES)}) and no "
                                  f"{PROFILE_FILE}; ignored")
                continue
        except ProfileError as exc:
            scan.problems.append(str(exc))
            continue
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            relative = path.relative_to(folder).as_posix()
            display = path.relative_to(landing).as_posix()
            if path.name == PROFILE_FILE or path.name.startswith("."):
                continue
            if folder.name == "plan" and relative.startswith(f"{PLANS_FOLDER}/"):
                continue  # commission plans: read by the payouts, not loaded as a table
            mappings = profile.mappings_for(relative)
            scan.mapped[display] = {m.entity.table for m in mappings}
            if not path.resolve().is_relative_to(root):
                scan.notes.append(f"{display}: a link to {path.resolve()}, outside the landing "
                                  "folder; refused (copy the file in instead)")
            elif path.name.lower().endswith(IN_PROGRESS_SUFFIXES):
                scan.notes.append(f"{display}: still being written (.part/.tmp), skipped")
            elif settle_seconds and now - path.stat().st_mtime < settle_seconds:
                scan.notes.append(f"{display}: modified in the last {settle_seconds:g}s, skipped")
            elif file_format(path) is None:
                scan.notes.append(f"{display}: not an accepted file type, ignored")
            elif not mappings:
                scan.notes.append(f"{display}: not mapped by profile {profile.name}, ignored")
            elif (ambiguity := profile.ambiguous(relative, mappings)) is not None:
                scan.problems.append(ambiguity)
            else:
                scan.deliveries += [Delivery(path, display, m, folder) for m in mappings]
    return scan


def ingest_entity(
    conn: duckdb.DuckDBPyConnection,
    landing: Path,
    entity: Entity,
    settle_seconds: float = 0.0,
    should_stop: Callable[[], bool] | None = None,
) -> EntityLoad:
    """Load every new file of `entity`; the raw table exists afterwards even with no files.
    `should_stop` is asked between files (each file loads whole or not at all)."""
    ensure_ingest_tables(conn)
    scan = scan_landing(landing, settle_seconds)
    return load_entity(conn, landing, scan, entity, should_stop)


def ingest_entities(
    conn: duckdb.DuckDBPyConnection,
    landing: Path,
    entities: Iterable[Entity],
    settle_seconds: float = 0.0,
    should_stop: Callable[[], bool] | None = None,
) -> Iterator[EntityLoad]:
    """`ingest_entity` for each entity in turn, with the landing folder scanned once and the
    tables ensured once (a build used to do both once per entity). Lazy: each entity's load is
    done when it is yielded, so a caller can stop between entities."""
    ensure_ingest_tables(conn)
    scan = scan_landing(landing, settle_seconds)
    for entity in entities:
        if should_stop is not None and should_stop():
            return
        yield load_entity(conn, landing, scan, entity, should_stop)


def load_entity(
    conn: duckdb.DuckDBPyConnection,
    landing: Path,
    scan: LandingScan,
    entity: Entity,
    should_stop: Callable[[], bool] | None = None,
) -> EntityLoad:
    """Load the new files of `entity` found by `scan` (tables already ensured)."""
    outcome = EntityLoad(entity, problems=list(scan.problems))
    mine = [d for d in scan.deliveries if d.entity == entity]
    # Notes about files of this entity's canonical folder; the rest are printed once by
    # `sales-wh build` (scan_landing) rather than repeated by every entity.
    prefix = f"{entity.source}/{entity.name}/"
    outcome.warnings = [n for n in scan.notes if n.startswith(prefix)]
    if not mine:
        outcome.warnings.append(
            f"no files for {entity.source}/{entity.name} in {landing}; "
            f"raw.{entity.table} stays as it is (empty if new)"
        )
    if not scan.problems:
        outcome.warnings += supersede_unmapped_loads(conn, scan, entity)
    for delivery in mine:
        if should_stop is not None and should_stop():
            break
        outcome.files.append(load_file(conn, delivery))
    return outcome


def supersede_unmapped_loads(conn: duckdb.DuckDBPyConnection, scan: LandingScan,
                             entity: Entity) -> list[str]:
    """Loads of files still in the landing folder that their profile no longer maps to this
    entity (the profile was edited): their rows leave raw, the log keeps them 'superseded'.
    (A file gone from the folder is another matter: see `sales-wh build`'s warning.)"""
    loads = conn.execute(
        "SELECT load_id, file_path FROM audit.load_log WHERE source = ? AND entity = ? "
        "AND status = 'loaded' ORDER BY load_id", [entity.source, entity.name]).fetchall()
    stale = [(int(load_id), path) for load_id, path in loads
             if path in scan.mapped and entity.table not in scan.mapped[path]]
    if not stale:
        return []
    why = (f"its profile no longer maps it to {entity.source}/{entity.name}")
    conn.execute("BEGIN TRANSACTION")
    try:
        for load_id, _ in stale:
            supersede_load(conn, load_id, f"superseded: {why}")
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise
    return [f"{path}: {why}; its load {load_id} no longer counts" for load_id, path in stale]
