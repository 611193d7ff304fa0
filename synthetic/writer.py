"""Streaming CSV output in the landing layout, and fast text formatting for numpy columns.

Each entity is one file written as `<name>.csv.part` and renamed when complete, the way a
well-behaved exporter delivers (ingest skips `.part` files). The files written are listed in
`<out>/.sales-wh-generated`: a later run replaces only those, never a file it did not write
(a user's own export in the same landing folder), and refuses to overwrite one.
"""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

import numpy as np
import pandas as pd

FILE_NAME = "2026-10-31.csv"
MANIFEST = ".sales-wh-generated"


class ForeignFileError(Exception):
    """The generator would overwrite a file it did not write."""


def money_text(cents: np.ndarray) -> np.ndarray:
    """Integer cents → '1234.50' (exact; no binary floats on the way)."""
    cents = np.asarray(cents, dtype=np.int64)
    if cents.size == 0:
        return np.array([], dtype=str)
    sign = np.where(cents < 0, "-", "")
    whole = (np.abs(cents) // 100).astype(str)
    frac = np.char.zfill((np.abs(cents) % 100).astype(str), 2)
    return np.char.add(np.char.add(np.char.add(sign, whole), "."), frac)


def date_text(days: np.ndarray) -> np.ndarray:
    return np.datetime_as_string(np.asarray(days).astype("datetime64[D]"), unit="D")


def timestamp_text(times: np.ndarray) -> np.ndarray:
    if np.asarray(times).size == 0:
        return np.array([], dtype=str)
    text = np.datetime_as_string(np.asarray(times).astype("datetime64[s]"), unit="s")
    return np.char.replace(text, "T", " ")


class CsvSink:
    """Appends frames to one CSV per `source/entity`; `close` renames them into place."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._handles: dict[tuple[str, str], TextIO] = {}
        self._columns: dict[tuple[str, str], list[str]] = {}
        self.rows: dict[str, int] = {}
        self._snapshots: set[tuple[str, str]] = set()
        manifest = self.root / MANIFEST
        # Relative paths of the files an earlier run wrote: the only ones this run may replace.
        # A folder generated before the manifest existed: only the exact files this run
        # writes are replaced (what the old generator wrote had the same names).
        self.legacy = not manifest.exists() and any(self.root.glob("*/*/*.csv"))
        self.ours = set(manifest.read_text(encoding="utf-8").split()) if manifest.exists() \
            else set()
        self.written: list[Path] = []

    def _relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def _claim(self, path: Path) -> None:
        """Take `path` for this run: refuse a file someone else put there; drop, in its folder,
        the files an earlier run wrote (a fresh company replaces the old one)."""
        if path.exists() and self._relative(path) not in self.ours and not self.legacy:
            raise ForeignFileError(
                f"{path} exists and was not written by `sales-wh generate`; refusing to "
                "overwrite it. Move it, or generate into another --out folder")
        path.parent.mkdir(parents=True, exist_ok=True)
        for old in path.parent.iterdir():
            if old.is_file() and self._relative(old) in self.ours:
                old.unlink()
        self.written.append(path)

    def abandon(self) -> None:
        """After a failure: close and delete this run's partial files."""
        for handle in self._handles.values():
            handle.close()
            Path(handle.name).unlink(missing_ok=True)
        self._handles.clear()
        for path in self.root.rglob("*.part"):
            if self._relative(path).removesuffix(".part") in {self._relative(p)
                                                              for p in self.written}:
                path.unlink(missing_ok=True)

    def _path(self, source: str, entity: str) -> Path:
        return self.root / source / entity / FILE_NAME

    def write(self, source: str, entity: str, frame: pd.DataFrame) -> None:
        key = (source, entity)
        handle = self._handles.get(key)
        if handle is None:
            path = self._path(source, entity)
            self._claim(path)
            # Kept open across months and closed in close(): a context manager cannot span it.
            handle = open(  # noqa: SIM115
                path.with_name(path.name + ".part"), "w", encoding="utf-8", newline=""
            )
            self._handles[key] = handle
            self._columns[key] = list(frame.columns)
            handle.write(",".join(frame.columns) + "\n")
        elif list(frame.columns) != self._columns[key]:
            raise ValueError(f"{source}/{entity}: columns changed between chunks")
        if len(frame):
            frame.to_csv(handle, header=False, index=False, lineterminator="\n")
        self.rows[f"{source}/{entity}"] = self.rows.get(f"{source}/{entity}", 0) + len(frame)

    def write_file(self, source: str, entity: str, name: str, frame: pd.DataFrame) -> None:
        """One complete file of its own (e.g. one of several dated snapshots of an entity)."""
        folder = self.root / source / entity
        if (source, entity) not in self._snapshots:
            self._snapshots.add((source, entity))
            self._claim(folder / name)
        elif (folder / name).exists() and self._relative(folder / name) not in self.ours \
                and not self.legacy:
            raise ForeignFileError(f"{folder / name} exists and was not written by "
                                   "`sales-wh generate`; refusing to overwrite it")
        else:
            self.written.append(folder / name)
        partial = folder / f"{name}.part"
        frame.to_csv(partial, index=False, lineterminator="\n")
        partial.replace(folder / name)
        self.rows[f"{source}/{entity}"] = self.rows.get(f"{source}/{entity}", 0) + len(frame)

    def write_text(self, source: str, folder: str, name: str, text: str) -> None:
        """A file that is not a table (a commission plan's YAML), written whole, atomically."""
        path = self.root / source / folder / name
        if (source, folder) not in self._snapshots:
            self._snapshots.add((source, folder))
            self._claim(path)
        elif path.exists() and self._relative(path) not in self.ours and not self.legacy:
            raise ForeignFileError(f"{path} exists and was not written by `sales-wh generate`; "
                                   "refusing to overwrite it")
        else:
            self.written.append(path)
        partial = path.with_name(f"{name}.part")
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)

    def close(self) -> dict[str, int]:
        for (source, entity), handle in self._handles.items():
            handle.close()
            final = self._path(source, entity)
            final.with_name(final.name + ".part").replace(final)
        self._handles.clear()
        manifest = sorted({self._relative(p) for p in self.written})
        (self.root / MANIFEST).write_text("\n".join(manifest) + "\n", encoding="utf-8")
        return dict(sorted(self.rows.items()))
