"""Whole builds through Dagster and dbt on a small generated company: rebuilds, rejected files,
later versions of records, blocking checks, docs. Every KPI column is checked against the files
in test_e2e_kpis.py.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest

from ingest.warehouse import connect

pytestmark = pytest.mark.e2e

def rows(landing: Path, source: str, entity: str) -> list[dict[str, str]]:
    """The entity's rows; where several files were delivered, the newest version of each key
    (reps: one snapshot per file)."""
    files = sorted((landing / source / entity).glob("*.csv"))
    if entity == "reps":
        files = files[-1:]
    [path] = files
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_a_second_build_loads_nothing_and_gives_identical_marts(built_home, small_landing):
    from orchestration.cli import main

    def fingerprint() -> dict[str, str]:
        """Every table of the marts schema, in a stable order: all must be identical."""
        with connect(built_home / "warehouse.duckdb", read_only=True) as conn:
            tables = [r[0] for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts'"
            ).fetchall()]
            return {t: hashlib.sha256(repr(conn.execute(
                f'SELECT * FROM marts."{t}" ORDER BY ALL').fetchall()).encode()).hexdigest()
                for t in tables}

    before = fingerprint()
    delivered = len(list(small_landing.rglob("*.csv")))
    # --force: a build with nothing new would stop at once; forced, it loads nothing again
    # and rebuilds the same tables.
    assert main(["build", "--landing", str(small_landing), "--home", str(built_home),
                 "--force"]) == 0
    after = fingerprint()
    assert len(before) >= 20
    assert {t for t in before if before[t] != after.get(t)} == set()
    with connect(built_home / "warehouse.duckdb", read_only=True) as conn:
        assert conn.execute("SELECT count(*), count(DISTINCT content_hash) FROM audit.load_log"
                            ).fetchall() == [(delivered, delivered)]


def test_a_rejected_file_fails_the_build_but_the_rest_still_builds(small_landing, tmp_path):
    import shutil

    from orchestration.cli import main

    landing = tmp_path / "landing"
    shutil.copytree(small_landing, landing)
    (landing / "crm/reps/broken.csv").write_text("rep_id,name\nR9,Zed\n", encoding="utf-8")
    assert main(["build", "--landing", str(landing), "--home", str(tmp_path / "home")]) == 1
    with connect(tmp_path / "home" / "warehouse.duckdb", read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM marts.mart_rep_kpis").fetchall()[0][0] > 0
        [(status, message)] = conn.execute(
            "SELECT status, message FROM audit.load_log WHERE file_path = 'crm/reps/broken.csv'"
        ).fetchall()
    assert status == "rejected" and "missing required column(s)" in message


def test_a_later_file_updates_records_by_key(small_landing, tmp_path):
    """Deliver the company, then a later opportunities file that closes some open deals and
    reopens nothing: staging holds the newer version, with the later file as its source."""
    import shutil

    from orchestration.cli import main

    landing = tmp_path / "landing"
    shutil.copytree(small_landing, landing)
    home = tmp_path / "home"
    assert main(["build", "--landing", str(landing), "--home", str(home)]) == 0
    opportunities = rows(landing, "crm", "opportunities")
    still_open = [o for o in opportunities if not o["stage"].startswith("Closed")][:5]
    assert still_open
    later = landing / "crm/opportunities/2026-11-15.csv"
    with later.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(opportunities[0]))
        writer.writeheader()
        for opp in still_open:
            writer.writerow({**opp, "stage": "Closed Won", "close_date": "2026-10-31",
                             "probability": "1.00", "updated_at": "2026-11-15 08:00:00"})
    assert main(["build", "--landing", str(landing), "--home", str(home)]) == 0
    with connect(home / "warehouse.duckdb", read_only=True) as conn:
        staged = conn.execute(
            "SELECT opportunity_id, canonical_stage, _source_file FROM "
            "staging.stg_crm__opportunities WHERE opportunity_id IN "
            f"({', '.join(repr(o['opportunity_id']) for o in still_open)})").fetchall()
        total = conn.execute("SELECT count(*) FROM staging.stg_crm__opportunities").fetchall()
    assert {s[1] for s in staged} == {"closed_won"} and len(staged) == len(still_open)
    assert {s[2] for s in staged} == {"crm/opportunities/2026-11-15.csv"}
    assert total == [(len(opportunities),)]


def test_a_failed_blocking_check_stops_everything_downstream(small_landing, tmp_path):
    """Schema drift in a raw table (a writer other than ingest changed it) fails the contract
    suite of the next load; dbt does not run, and the build says so with exit code 1."""
    import shutil

    from dagster import DagsterEventType, DagsterInstance

    from orchestration.cli import main

    landing = tmp_path / "landing"
    shutil.copytree(small_landing, landing)
    home = tmp_path / "home"
    assert main(["build", "--landing", str(landing), "--home", str(home)]) == 0
    with connect(home / "warehouse.duckdb") as conn:
        conn.execute("ALTER TABLE raw.crm__reps ALTER COLUMN hire_date TYPE VARCHAR")
    (landing / "crm/reps/2026-11-15.csv").write_text(
        "rep_id,rep_name,region,role\nR9999,New Rep,East,ae\n", encoding="utf-8")
    assert main(["build", "--landing", str(landing), "--home", str(home)]) == 1
    with DagsterInstance.from_ref(DagsterInstance.get().get_ref()) as instance:
        [latest] = instance.get_runs(limit=1)
        started = {e.step_key for e in instance.all_logs(
            latest.run_id, of_type=DagsterEventType.STEP_START)}
        evaluations = [e.dagster_event.event_specific_data for e in instance.all_logs(
            latest.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION)]
    assert "ingest" in started and "warehouse_dbt_assets" not in started
    failed = [(e.asset_key.to_user_string(), e.check_name) for e in evaluations if not e.passed]
    assert failed == [("raw/crm__reps", "contract_suite")]


def test_dbt_docs_generate_documents_every_mart(built_home, tmp_path):
    import json
    import os
    import subprocess
    import sys

    from orchestration.settings import DBT_PROJECT_DIR

    target = tmp_path / "docs"
    env = {**os.environ, "SALES_WH_WAREHOUSE": str(built_home / "warehouse.duckdb")}
    dbt = Path(sys.executable).parent / "dbt"
    done = subprocess.run([str(dbt), "docs", "generate", "--profiles-dir", ".",
                           "--target-path", str(target)], cwd=DBT_PROJECT_DIR, env=env,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-3000:]
    catalog = json.loads((target / "catalog.json").read_text())
    manifest = json.loads((target / "manifest.json").read_text())
    documented = {n["metadata"]["name"] for n in catalog["nodes"].values()
                  if n["metadata"]["schema"] == "marts"}
    assert {"mart_rep_kpis", "mart_customer_value", "mart_pipeline_daily", "dim_date"} <= documented
    marts = [n for n in manifest["nodes"].values()
             if n["resource_type"] == "model" and n["schema"] == "marts"]
    assert marts and all(n["description"] for n in marts)
    assert all(n["config"]["contract"]["enforced"] for n in marts)
    assert {e["name"] for e in manifest["exposures"].values()} >= {
        "sales_performance_dashboard", "finance_commission_export"}
