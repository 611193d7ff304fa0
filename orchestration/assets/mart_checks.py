"""Great Expectations suites over the finished marts, as blocking Dagster asset checks.

One op validates every mart (Great Expectations is imported once) and reports a check per
mart. It reads the warehouse, so it waits in the warehouse pool rather than meet a writer.
"""

import dagster as dg

from models_py.mart_quality import SUITES, validate_marts
from orchestration.resources import WarehouseResource
from orchestration.settings import WAREHOUSE_POOL


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec("gx_mart_suite", asset=dg.AssetKey(["marts", mart]), blocking=True,
                          description="Great Expectations: ranges, value sets and cross-column "
                          "logic of the finished mart (models_py/mart_quality.py)")
        for mart in SUITES
    ],
    pool=WAREHOUSE_POOL,
)
def mart_suites(warehouse: WarehouseResource):
    with warehouse.connect(read_only=True) as conn:
        outcomes = validate_marts(conn)
    for outcome in outcomes:
        yield dg.AssetCheckResult(
            asset_key=dg.AssetKey(["marts", outcome.mart]),
            check_name="gx_mart_suite",
            passed=outcome.passed,
            metadata={"rows": outcome.rows, "expectations": outcome.expectations,
                      "failures": "\n".join(outcome.failures) or "none"},
        )
