"""Where things are: project folders and the run-time locations chosen by environment variables.

`SALES_WH_HOME` (default `<project>/data`) holds `warehouse.duckdb` and the Dagster instance;
`SALES_WH_LANDING` (default `<home>/landing`) is the landing folder. The dbt profile reads
`SALES_WH_WAREHOUSE`, which `configure()` derives from the home so both sides share one file.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DAGSTER_CONFIG = PROJECT_ROOT / "dagster_home" / "dagster.yaml"

# Every asset that writes the warehouse file runs in this pool; the instance gives it one slot
# because DuckDB allows a single writing process.
WAREHOUSE_POOL = "warehouse"
# The dbt project vars chosen for a warehouse (JSON), passed to the dbt processes.
DBT_VARS_ENV = "SALES_WH_DBT_VARS"
# "1": dbt rebuilds its incremental models whole (`dbt build --full-refresh`).
DBT_FULL_REFRESH_ENV = "SALES_WH_DBT_FULL_REFRESH"


def home() -> Path:
    return Path(os.environ.get("SALES_WH_HOME", PROJECT_ROOT / "data")).resolve()


def landing() -> Path:
    return Path(os.environ.get("SALES_WH_LANDING", home() / "landing")).resolve()


def warehouse_path() -> Path:
    return Path(os.environ.get("SALES_WH_WAREHOUSE", home() / "warehouse.duckdb")).resolve()


def plans_dir() -> Path:
    """The commission plan files: $SALES_WH_PLANS (`sales-wh build --plans DIR`), else
    `<landing>/plan/commission_plans/` (PAYOUTS.md)."""
    chosen = os.environ.get("SALES_WH_PLANS")
    return Path(chosen).resolve() if chosen else landing() / "plan" / "commission_plans"


def exports_dir(area: str = "finance") -> Path:
    """Files for people, by area: `<home>/exports/finance/<YYYY-MM>/` (payouts),
    `<home>/exports/forecast/` (charts)."""
    return home() / "exports" / area


def engine() -> str:
    """The engine the dbt project builds on: `duckdb` (default) or `spark`
    ($SALES_WH_ENGINE, set by `sales-wh build --engine`; orchestration/spark.py)."""
    from orchestration.spark import ENGINE_ENV, ENGINES

    chosen = os.environ.get(ENGINE_ENV) or ENGINES[0]
    if chosen not in ENGINES:  # a typo must not quietly build on DuckDB
        raise ValueError(f"{ENGINE_ENV}={chosen!r}: the engines are {', '.join(ENGINES)}")
    return chosen


def lake_dir() -> Path:
    """The Parquet copy of the raw rows Spark reads (ingest/lake.py): $SALES_WH_LAKE (a
    folder a cluster also mounts, docs/scale-out.md), else `<home>/lake`."""
    return Path(os.environ.get("SALES_WH_LAKE") or home() / "lake").resolve()


def spark_dir() -> Path:
    """Spark's tables and metastore, for the local `spark` target: $SALES_WH_SPARK_DIR,
    else `<home>/spark`."""
    return Path(os.environ.get("SALES_WH_SPARK_DIR") or home() / "spark").resolve()


def dagster_home() -> Path:
    return home() / "dagster"


def export_env() -> None:
    """Pin the locations in the environment, for the dbt processes this process starts."""
    from ingest.warehouse import MEMORY_LIMIT_ENV, memory_limit

    os.environ["SALES_WH_WAREHOUSE"] = str(warehouse_path())
    os.environ["SALES_WH_LANDING"] = str(landing())
    os.environ[MEMORY_LIMIT_ENV] = memory_limit()  # dbt's profile reads it
    os.environ["SALES_WH_LAKE"] = str(lake_dir())  # and these, on its spark target
    os.environ["SALES_WH_SPARK_DIR"] = str(spark_dir())


def configure(home_dir: Path | None = None, landing_dir: Path | None = None,
              plans: Path | None = None) -> None:
    """Choose home and landing for this process and its children, and prepare the Dagster
    instance there (concurrency pools) so the CLI's runs show up in `sales-wh ui`."""
    if home_dir is not None:
        os.environ["SALES_WH_HOME"] = str(Path(home_dir).resolve())
        for derived in ("SALES_WH_WAREHOUSE", "SALES_WH_LAKE", "SALES_WH_SPARK_DIR"):
            os.environ.pop(derived, None)  # from the home chosen before, if any
    if landing_dir is not None:
        os.environ["SALES_WH_LANDING"] = str(Path(landing_dir).resolve())
    if plans is not None:
        os.environ["SALES_WH_PLANS"] = str(Path(plans).resolve())
    export_env()
    instance_dir = dagster_home()
    instance_dir.mkdir(parents=True, exist_ok=True)
    config = instance_dir / "dagster.yaml"
    if not config.exists() or config.read_text() != DAGSTER_CONFIG.read_text():
        config.write_text(DAGSTER_CONFIG.read_text())
    os.environ["DAGSTER_HOME"] = str(instance_dir)
