"""Resources: the warehouse file and landing folder, and the dbt CLI."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from ingest.warehouse import connect
from orchestration import settings


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse file and the landing folder it is fed from."""

    database: str
    landing: str
    settle_seconds: float = 0.0  # skip files modified more recently than this

    @property
    def landing_path(self) -> Path:
        return Path(self.landing)

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        with connect(self.database, read_only=read_only) as conn:
            yield conn


def warehouse_resource() -> WarehouseResource:
    return WarehouseResource(
        database=str(settings.warehouse_path()), landing=str(settings.landing())
    )
