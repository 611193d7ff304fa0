"""Is there anything for a build to do? Answered in milliseconds, before Dagster and dbt start.

A build's outcome depends on: the landing files (and commission plans), the options it was
given (dbt vars, plans folder), the project's code and dbt files, and the warehouse as the
build left it. After a successful build its fingerprint of all four is kept in
`<home>/last_build.json`; the next build whose fingerprint is the same has nothing to do and
says so. Anything else that writes the warehouse (lock-period, retract, a forecast, a run from
the UI or the daemon) changes the file, so the next build runs in full. Files are identified
by path, size and modification time: a file touched without changing still builds (and its
load is then skipped as a duplicate), never the other way round.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

STATE_FILE = "last_build.json"
CODE_FOLDERS = ("ingest", "models_py", "orchestration")
DBT_INPUTS = ("models", "macros", "seeds", "tests", "snapshots", "dbt_project.yml",
              "profiles.yml")


def _files_digest(paths: list[Path], root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        try:
            status = path.stat()
        except FileNotFoundError:
            continue
        digest.update(f"{path.relative_to(root).as_posix()}|{status.st_size}|"
                      f"{status.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _tree(root: Path, names: tuple[str, ...]) -> list[Path]:
    out = []
    for name in names:
        path = root / name
        if path.is_file():
            out.append(path)
        elif path.is_dir():
            out += [p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                    and "target" not in p.relative_to(root).parts[:2]]
    return out


def dbt_code_digest(project_root: Path) -> str:
    """The dbt project's files (models, macros, seeds, tests, settings) as one digest."""
    return _files_digest(_tree(project_root / "dbt_project", DBT_INPUTS),
                         project_root / "dbt_project")


def fingerprint(landing: Path, warehouse: Path, published: Path, project_root: Path,
                options: dict[str, object]) -> dict[str, str]:
    """What a build's result depends on, each part as a digest."""
    landing_files = [p for p in landing.rglob("*") if p.is_file()] if landing.is_dir() else []
    return {
        "landing": _files_digest(landing_files, landing),
        "options": hashlib.sha256(json.dumps(options, sort_keys=True, default=str).encode()
                                  ).hexdigest(),
        "code": _files_digest(_tree(project_root, CODE_FOLDERS), project_root),
        "dbt": dbt_code_digest(project_root),
        **outputs(warehouse, published),
    }


def outputs(warehouse: Path, published: Path) -> dict[str, str]:
    """The parts a build writes: after a build only these need reading again."""
    return {
        "warehouse": _files_digest([warehouse], warehouse.parent) if warehouse.exists()
        else "none",
        # What readers have: a published copy removed or replaced by hand is rebuilt.
        "published": _files_digest([published], published.parent) if published.exists()
        else "none",
    }


def last_build(home: Path) -> dict | None:
    try:
        return json.loads((home / STATE_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None


def record(home: Path, run_id: str, print_: dict[str, str]) -> None:
    """Keep the fingerprint of a successful build (written whole, then renamed)."""
    partial = home / f".{STATE_FILE}.{os.getpid()}.part"
    partial.write_text(json.dumps({"run_id": run_id, "fingerprint": print_}, indent=1),
                       encoding="utf-8")
    os.replace(partial, home / STATE_FILE)


def changed_parts(home: Path, current: dict[str, str]) -> list[str] | None:
    """Which parts changed since the last successful build; None when there is none."""
    previous = last_build(home)
    if previous is None:
        return None
    return [part for part, digest in current.items()
            if previous["fingerprint"].get(part) != digest]
