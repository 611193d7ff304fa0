"""The dbt process Dagster starts (`sales-wh-dbt`): dbt itself, run from the warehouse's folder.

dbt reuses its parse of the project (`partial_parse.msgpack`: ~1 s instead of ~5 s) only while
the profile's connection settings stay the same, and the warehouse path is one of them. Run
from the warehouse's folder with the path reduced to the file's name, every home has the same
profile, so the parse made when the code was loaded (`orchestration.dbt.ensure_manifest`)
serves a new home's first build too.

Imports nothing but dbt: this starts once per build.
"""

import os
import sys
from pathlib import Path

WAREHOUSE_ENV = "SALES_WH_WAREHOUSE"


def run_from_warehouse_folder() -> None:
    warehouse = os.environ.get(WAREHOUSE_ENV)
    if not warehouse:
        return  # the profile's default path, relative to the project as dbt users expect
    path = Path(warehouse).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chdir(path.parent)
    os.environ[WAREHOUSE_ENV] = path.name


def main() -> None:
    run_from_warehouse_folder()
    from orchestration.spark import ENGINE_ENV, prepare_spark  # the standard library only

    if os.environ.get(ENGINE_ENV) == "spark":
        prepare_spark()
    from dbt.cli.main import cli

    sys.exit(cli())


if __name__ == "__main__":
    main()
