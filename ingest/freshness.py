"""How long each source may go without a new file before someone should look.

A CRM that exports nightly and has sent nothing for three days is a broken export, not a quiet
week; a plan file (quotas, targets) arrives monthly or yearly. The limits are days per entity,
from `<home>/freshness.yml` when it exists:

    default_days: 3          # every entity not named below
    entities:
      plan/targets: 400
      crm/activities: 1

Without the file: 3 days for CRM, order and survey exports, 45 for plan files. An entity that
never received a file is not flagged here (an empty source is a profile question).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import yaml

FILE_NAME = "freshness.yml"
DEFAULT_DAYS = 3.0
PLAN_DAYS = 45.0


@dataclass(frozen=True)
class Staleness:
    entity: str  # source/entity
    last_file_at: datetime
    days: float  # since the last new file
    limit_days: float

    @property
    def stale(self) -> bool:
        return self.days > self.limit_days

    def describe(self) -> str:
        return (f"{self.entity}: no new file for {self.days:.1f} days (limit {self.limit_days:g};"
                f" last {self.last_file_at:%Y-%m-%d %H:%M} UTC)")


def limits(home: Path) -> tuple[float | None, dict[str, float]]:
    """(default days or None for the built-in defaults, days by source/entity)."""
    path = home / FILE_NAME
    if not path.exists():
        return None, {}
    config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(config, dict):
        raise ValueError(f"{path}: expected default_days and entities, got {type(config)}")
    default = config.get("default_days")
    entities = {str(k): float(v) for k, v in (config.get("entities") or {}).items()}
    return (float(default) if default is not None else None), entities


def limit_for(entity: str, default: float | None, by_entity: dict[str, float]) -> float:
    if entity in by_entity:
        return by_entity[entity]
    if default is not None:
        return default
    return PLAN_DAYS if entity.startswith("plan/") else DEFAULT_DAYS


def staleness(conn: duckdb.DuckDBPyConnection, home: Path, now: datetime) -> list[Staleness]:
    """Every entity that has received files, with the days since its last new one."""
    rows = conn.execute(
        "SELECT source || '/' || entity AS name, max(loaded_at) FROM audit.load_log "
        "WHERE status = 'loaded' GROUP BY 1 ORDER BY 1").fetchall()
    return staleness_of(rows, home, now)


def staleness_of(last_loads: list[tuple[str, datetime]], home: Path,
                 now: datetime) -> list[Staleness]:
    """(source/entity, newest load) pairs judged against their limits."""
    default, by_entity = limits(home)
    return [Staleness(entity, last, (now - last).total_seconds() / 86400,
                      limit_for(entity, default, by_entity)) for entity, last in last_loads]
