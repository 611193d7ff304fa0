"""The semantic layer's metrics, answered in this process by MetricFlow's Python engine over
the dbt project's `target/semantic_manifest.json` and the published copy (read-only): no dbt
process and no `mf` CLI at query time.

MetricFlow talks to a database through a `SqlClient`; this module's is a few lines over a
read-only DuckDB connection to `<home>/serving/warehouse.duckdb`, so a query never touches
the file a build writes. Metric and dimension names are MetricFlow's: `metric_time__month`,
`rep__region` (the rep as they stood that month), `customer__region`, `order_line__channel`.
"""

from __future__ import annotations

import csv
import datetime
import json
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

SEMANTIC_MANIFEST = "semantic_manifest.json"


class DuckDbSqlClient:
    """MetricFlow's SqlClient protocol over one read-only DuckDB connection."""

    def __init__(self, path: Path) -> None:
        from metricflow.sql.render.duckdb_renderer import DuckDbSqlPlanRenderer

        self._conn = duckdb.connect(str(path), read_only=True)
        self._conn.execute("SET TimeZone = 'UTC'")
        self._renderer = DuckDbSqlPlanRenderer()

    @property
    def sql_engine_type(self):
        from metricflow.protocols.sql_client import SqlEngine

        return SqlEngine.DUCKDB

    @property
    def sql_plan_renderer(self):
        return self._renderer

    def query(self, stmt: str, sql_bind_parameter_set=None):
        from metricflow.data_table.mf_table import MetricFlowDataTable

        rows, names = self.fetch(stmt, sql_bind_parameter_set)
        return MetricFlowDataTable.create_from_rows(column_names=names, rows=rows)

    def fetch(self, stmt: str, sql_bind_parameter_set=None) -> tuple[list[tuple], list[str]]:
        """Rows as DuckDB returns them (DECIMAL as Decimal, DATE as date) and column names."""
        cursor = self._conn.execute(stmt, _parameters(sql_bind_parameter_set))
        names = [d[0] for d in cursor.description]
        return cursor.fetchall(), names

    def execute(self, stmt: str, sql_bind_parameter_set=None) -> None:
        self._conn.execute(stmt, _parameters(sql_bind_parameter_set)).fetchall()

    def dry_run(self, stmt: str, sql_bind_parameter_set=None) -> None:
        self._conn.execute(f"EXPLAIN {stmt}", _parameters(sql_bind_parameter_set)).fetchall()

    def close(self) -> None:
        self._conn.close()

    def catalog(self) -> str:
        return self._conn.execute("SELECT current_database()").fetchall()[0][0]

    def render_bind_parameter_key(self, bind_parameter_key: str) -> str:
        return f"${bind_parameter_key}"


def _in_catalog(manifest: dict, catalog: str) -> dict:
    """The manifest's tables named in the published copy's catalog: dbt names them after the
    build's file (which may be called anything), the reader sees them in its own."""

    def move(relation: dict) -> None:
        relation["database"] = catalog
        relation["relation_name"] = (f'"{catalog}"."{relation["schema_name"]}".'
                                     f'"{relation["alias"]}"')

    for model in manifest["semantic_models"]:
        move(model["node_relation"])
    for spine in manifest["project_configuration"].get("time_spines", []):
        move(spine["node_relation"])
    return manifest


def _parameters(parameter_set) -> dict | None:
    if parameter_set is None or not parameter_set.param_dict:
        return None
    return {key: value.value for key, value in parameter_set.param_dict.items()}


@dataclass
class MetricResult:
    columns: list[str]
    rows: list[tuple]
    sql: str
    seconds: float


class Metrics:
    """An engine over a semantic manifest and a published copy; close() when done."""

    def __init__(self, manifest: Path, published: Path) -> None:
        from metricflow.engine.metricflow_engine import MetricFlowEngine
        from metricflow_semantics.model.dbt_manifest_parser import (
            parse_manifest_from_dbt_generated_manifest,
        )
        from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup

        if not manifest.exists():
            raise FileNotFoundError(f"no semantic manifest at {manifest}: run `dbt parse` in "
                                    "dbt_project/ (a build does it)")
        if not published.exists():
            raise FileNotFoundError(f"no published warehouse at {published}: build first "
                                    "(`sales-wh build`); metrics read the published copy")
        self.client = DuckDbSqlClient(published)
        catalog = self.client.catalog()
        semantic = parse_manifest_from_dbt_generated_manifest(
            json.dumps(_in_catalog(json.loads(manifest.read_text("utf-8")), catalog)))
        self.engine = MetricFlowEngine(semantic_manifest_lookup=SemanticManifestLookup(semantic),
                                       sql_client=self.client)

    def close(self) -> None:
        self.client.close()

    def list(self) -> list[tuple[str, str, list[str]]]:
        """(name, description, dimensions) of every metric, by name."""
        out = []
        for metric in sorted(self.engine.list_metrics(), key=lambda m: m.name):
            dimensions = sorted({d.dunder_name for d in metric.dimensions})
            out.append((metric.name, metric.description or "", dimensions))
        return out

    def query(self, metrics: list[str], group_by: list[str], where: list[str] | None = None,
              order_by: list[str] | None = None, limit: int | None = None) -> MetricResult:
        from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

        started = time.perf_counter()
        request = MetricFlowQueryRequest.create(
            metric_names=metrics, group_by_names=group_by or None,
            where_constraints=where or None,
            order_by_names=order_by or list(group_by) or None, limit=limit)
        # MetricFlow plans the SQL; it is run here rather than by engine.query(), which turns
        # DECIMAL money into floats. Money stays Decimal, exact to the cent.
        statement = self.engine.explain(request).sql_statement
        rows, columns = self.client.fetch(statement.sql, statement.bind_parameter_set)
        return MetricResult(columns, rows, statement.sql, time.perf_counter() - started)


def write_csv(result: MetricResult, path: Path) -> None:
    from models_py.files import atomic_write

    def cell(value):
        # MetricFlow's time dimensions are timestamps; at day grain or coarser, a date.
        if isinstance(value, datetime.datetime) and value.time() == datetime.time():
            return value.date().isoformat()
        return value

    def write(partial: Path) -> None:
        with partial.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(result.columns)
            writer.writerows([cell(v) for v in row] for row in result.rows)

    atomic_write(path, write)
