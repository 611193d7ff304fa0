"""File durability shared by the warehouse's writers (the lake, the published copy)."""

from __future__ import annotations

import os
from pathlib import Path


def fsync_path(path: Path) -> None:
    """Flush a file's bytes, or a folder's entries, to disk: before a rename publishes a file,
    so that after a power cut no reader finds an empty file under its final name."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
