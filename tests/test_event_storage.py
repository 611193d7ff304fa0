"""A home's Dagster instance stores its events through the pooled SQLite event log, in the
stock storage's files: what it writes, the stock storage (another Dagster process, an older
home) reads back, and a long-lived process keeps a bounded number of databases open."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from orchestration import settings
from orchestration.event_storage import OPEN_RUN_SHARDS, PooledSqliteEventLogStorage


@dg.asset
def tiny() -> int:
    return 1


@dg.asset_check(asset=tiny)
def tiny_is_one() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


def test_runs_stored_through_the_pool_read_back_by_the_stock_storage(tmp_path: Path,
                                                                     monkeypatch):
    for name in ("SALES_WH_HOME", "SALES_WH_WAREHOUSE", "SALES_WH_LANDING", "DAGSTER_HOME"):
        monkeypatch.delenv(name, raising=False)
    settings.configure(home_dir=tmp_path / "home")
    runs = OPEN_RUN_SHARDS + 3
    with dg.DagsterInstance.get() as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, PooledSqliteEventLogStorage)
        run_ids = []
        for _ in range(runs):
            result = dg.materialize([tiny, tiny_is_one], instance=instance)
            assert result.success
            run_ids.append(result.run_id)
        # The index plus at most OPEN_RUN_SHARDS run databases stay open in this process.
        open_shards = [shard for pid, shard in storage._engines if pid == os.getpid()]
        assert len(open_shards) <= OPEN_RUN_SHARDS + 1
        materialized = instance.get_latest_materialization_event(dg.AssetKey("tiny"))
        assert materialized is not None and materialized.run_id == run_ids[-1]

    stock = SqliteEventLogStorage(str(tmp_path / "home" / "dagster" / "history" / "runs"))
    try:
        for run_id in run_ids:
            kinds = {record.event_log_entry.dagster_event_type
                     for record in stock.get_records_for_run(run_id).records
                     if record.event_log_entry.dagster_event_type is not None}
            assert dg.DagsterEventType.ASSET_MATERIALIZATION in kinds
            assert dg.DagsterEventType.ASSET_CHECK_EVALUATION in kinds
            assert dg.DagsterEventType.RUN_SUCCESS in kinds
        records = stock.get_asset_records([dg.AssetKey("tiny")])
        assert records[0].asset_entry.last_materialization.run_id == run_ids[-1]
    finally:
        stock.dispose()
