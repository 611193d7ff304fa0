"""Which landing files are new and complete: what a sensor asks before it starts a build.

A file is complete when it is not a `.part`/`.tmp` upload (scan_landing skips those), it was
last modified at least `settle_seconds` ago, and its size and modification time are the same
as at the previous look: a file still growing (a slow copy, an export being written in place)
changes between two looks and waits for the next. A complete file is new when its
fingerprint (path, size, modification time) has not started a build before; a file replaced
in place gets a new fingerprint and starts one again.

The state between looks is plain JSON (a Dagster sensor keeps it as its cursor); nothing here
opens the warehouse, which a build may be writing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from ingest.landing import PLANS_FOLDER, scan_landing

DEFAULT_SETTLE_SECONDS = 30.0


@dataclass
class Arrivals:
    new: list[str]  # landing-relative paths that are complete and have not started a build
    waiting: list[str]  # present, not yet complete (changed since the last look, or too fresh)
    state: dict = field(default_factory=dict)  # the next look's memory (JSON-serialisable)

    @property
    def run_key(self) -> str:
        """The same new files give the same key, so a build is requested once for them."""
        digest = hashlib.sha256()
        for path in self.new:
            digest.update(f"{path}={self.state['built'][path]}\n".encode())
        return digest.hexdigest()[:16]


def _fingerprints(landing: Path) -> dict[str, str]:
    scan = scan_landing(landing)
    paths = {d.path: d.display_path for d in scan.deliveries}
    plans = landing / "plan" / PLANS_FOLDER
    if plans.is_dir():  # a changed commission plan changes the payouts: worth a build
        for plan in sorted(plans.glob("*.y*ml")):
            paths[plan] = plan.relative_to(landing).as_posix()
    fingerprints = {}
    for path, display in paths.items():
        try:
            status = path.stat()
        except FileNotFoundError:  # gone between the scan and now
            continue
        fingerprints[display] = f"{status.st_size}:{status.st_mtime_ns}"
    return fingerprints


def look(landing: Path, state: dict | None, now: float,
         settle_seconds: float = DEFAULT_SETTLE_SECONDS) -> Arrivals:
    """Compare the landing folder with the previous look (`state`, None the first time)."""
    state = state or {}
    seen_before: dict[str, str] = state.get("seen", {})
    built: dict[str, str] = dict(state.get("built", {}))
    current = _fingerprints(landing)
    new, waiting = [], []
    for path, fingerprint in sorted(current.items()):
        if built.get(path) == fingerprint:
            continue
        modified = int(fingerprint.split(":")[1]) / 1e9
        if seen_before.get(path) == fingerprint and now - modified >= settle_seconds:
            new.append(path)
            built[path] = fingerprint
        else:
            waiting.append(path)
    # Files that left the landing folder are forgotten: if they come back, they build again.
    built = {p: f for p, f in built.items() if p in current}
    return Arrivals(new, waiting, {"seen": current, "built": built})


def dumps(state: dict) -> str:
    return json.dumps(state, sort_keys=True, separators=(",", ":"))


def loads(cursor: str | None) -> dict | None:
    return json.loads(cursor) if cursor else None
