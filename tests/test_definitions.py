"""The Dagster code location loads, with the asset graph, checks and pools it promises."""

from __future__ import annotations

import dagster as dg

from ingest.contracts import ENTITIES


def test_definitions_load_with_every_layer():
    from orchestration.definitions import BUILD_ALL_JOB, defs

    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    for entity in ENTITIES:
        assert f"raw/{entity.table}" in keys
        assert f"staging/stg_{entity.source}__{entity.name}" in keys
    assert "marts/mart_rep_kpis" in keys
    assert defs.resolve_job_def(BUILD_ALL_JOB) is not None


def test_staging_models_depend_on_the_ingest_assets():
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    staging = graph.get(dg.AssetKey(["staging", "stg_crm__opportunities"]))
    assert dg.AssetKey(["raw", "crm__opportunities"]) in staging.parent_keys


def test_checks_cover_ingest_and_dbt_tests():
    from orchestration.definitions import defs

    checks = {(k.asset_key.to_user_string(), k.name)
              for k in defs.resolve_asset_graph().asset_check_keys}
    assert ("raw/orders__order_lines", "contract_suite") in checks
    assert ("raw/orders__order_lines", "files_readable") in checks
    assert ("marts/mart_rep_kpis", "unique_combination_of_columns_mart_rep_kpis_month__rep_id") \
        in checks


def test_every_warehouse_writer_is_in_the_single_slot_pool():
    from orchestration.definitions import defs
    from orchestration.settings import WAREHOUSE_POOL

    for assets_def in defs.resolve_asset_graph().assets_defs:
        if assets_def.is_executable:
            assert assets_def.op.pool == WAREHOUSE_POOL, assets_def.keys


def test_an_unusable_home_is_an_error_message_not_a_traceback(tmp_path, capsys, monkeypatch):
    import os

    from orchestration.cli import main

    for name in ("SALES_WH_HOME", "SALES_WH_WAREHOUSE", "SALES_WH_LANDING", "DAGSTER_HOME"):
        monkeypatch.setenv(name, os.environ.get(name, ""))  # restored after the test

    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert main(["build", "--landing", str(tmp_path), "--home", str(blocker / "home")]) == 2
    said = capsys.readouterr().err
    assert said.startswith("error: ") and str(blocker) in said and "writable" in said


def test_a_broken_profile_stops_the_build_before_any_work(tmp_path, capsys, monkeypatch):
    import os

    from orchestration.cli import main

    for name in ("SALES_WH_HOME", "SALES_WH_WAREHOUSE", "SALES_WH_LANDING", "DAGSTER_HOME"):
        monkeypatch.setenv(name, os.environ.get(name, ""))  # restored after the test
    landing = tmp_path / "landing"
    (landing / "mine").mkdir(parents=True)
    (landing / "mine/profile.yml").write_text("files:\n  - pattern: x.csv\n    sorce: crm\n",
                                              encoding="utf-8")
    (landing / "mine/x.csv").write_text("a\n1\n", encoding="utf-8")
    assert main(["build", "--landing", str(landing), "--home", str(tmp_path / "home")]) == 2
    captured = capsys.readouterr()
    assert captured.out.count("PROBLEM: ") == 1 and "profile.yml" in captured.out
    assert "nothing was loaded" in captured.err
    assert not (tmp_path / "home" / "warehouse.duckdb").exists()
