"""A whole build through Dagster and dbt on a small generated company.

The expected rep KPIs are computed here, independently, straight from the generated CSV files
with Python's csv and Decimal, following METRICS.md: won/lost and bookings by close month
(deleted deals excluded), net revenue by order month (qty x price - discount, cancelled orders
excluded, returns at the line's net unit value rounded half-up to the cent), amounts converted
with the latest FX rate on or before the transaction date.
"""

from __future__ import annotations

import bisect
import csv
import hashlib
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from ingest.warehouse import connect

pytestmark = pytest.mark.e2e

CENT = Decimal("0.01")


def rows(landing: Path, source: str, entity: str) -> list[dict[str, str]]:
    """The entity's rows; where several files were delivered, the newest version of each key
    (reps: one snapshot per file)."""
    files = sorted((landing / source / entity).glob("*.csv"))
    if entity == "reps":
        files = files[-1:]
    [path] = files
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def month_of(day: str) -> date:
    return date(int(day[:4]), int(day[5:7]), 1)


class Rates:
    def __init__(self, landing: Path) -> None:
        self.by_currency: dict[str, list[tuple[str, Decimal]]] = defaultdict(list)
        for r in rows(landing, "plan", "fx_rates"):
            rate = Decimal(r["rate_to_reporting"])
            self.by_currency[r["currency"]].append((r["rate_date"], rate))
        for series in self.by_currency.values():
            series.sort()

    def on(self, currency: str, day: str) -> Decimal:
        if currency == "USD":
            return Decimal(1)
        series = self.by_currency[currency]
        position = bisect.bisect_right([d for d, _ in series], day) - 1
        assert position >= 0, f"no {currency} rate on or before {day}"
        return series[position][1]


def expected_rep_kpis(landing: Path) -> tuple[dict, date, date]:
    rates = Rates(landing)
    kpis: dict[tuple[date, str], dict[str, Decimal | int]] = defaultdict(
        lambda: {"won": 0, "lost": 0, "bookings": Decimal(0), "revenue": Decimal(0)})
    opportunities = rows(landing, "crm", "opportunities")
    orders = {o["order_id"]: o for o in rows(landing, "orders", "orders")}
    as_of = max([o["order_date"] for o in orders.values()]
                + [o["updated_at"][:10] for o in opportunities]
                + [o["close_date"] for o in opportunities if o["stage"].startswith("Closed")])
    first = min([o["order_date"] for o in orders.values()]
                + [o["created_at"][:10] for o in opportunities])
    for opp in opportunities:
        if opp["is_deleted"] == "true" or not opp["stage"].startswith("Closed"):
            continue
        if opp["close_date"] > as_of:
            continue
        key = (month_of(opp["close_date"]), opp["owner_rep_id"])
        if opp["stage"] == "Closed Won":
            kpis[key]["won"] += 1
            kpis[key]["bookings"] += Decimal(opp["amount"]) * rates.on(opp["currency"],
                                                                        opp["close_date"])
        else:
            kpis[key]["lost"] += 1
    returned: dict[tuple[str, str], int] = defaultdict(int)
    for ret in rows(landing, "orders", "returns"):
        returned[(ret["order_id"], ret["line_no"])] += int(ret["quantity"])
    for line in rows(landing, "orders", "order_lines"):
        order = orders[line["order_id"]]
        if order["status"] == "cancelled":
            continue
        quantity = int(line["quantity"])
        net = quantity * Decimal(line["unit_price"]) - Decimal(line["discount_amount"] or "0")
        back = min(returned[(line["order_id"], line["line_no"])], quantity)
        refund = (net * back / quantity).quantize(CENT, rounding=ROUND_HALF_UP)
        # Orders no rep is credited with (online, retail) appear as '(unassigned)'.
        key = (month_of(order["order_date"]), order["rep_id"] or "(unassigned)")
        kpis[key]["revenue"] += (net - refund) * rates.on(order["currency"], order["order_date"])
    quotas = {(month_of(q["period"] + "-01"), q["rep_id"]): Decimal(q["quota_amount"])
              for q in rows(landing, "plan", "quotas")}
    return {"kpis": kpis, "quotas": quotas}, month_of(first), month_of(as_of)


def mart(home: Path) -> list[tuple]:
    with connect(home / "warehouse.duckdb", read_only=True) as conn:
        return conn.execute("SELECT * FROM marts.mart_rep_kpis ORDER BY month, rep_id").fetchall()


def test_rep_kpis_match_an_independent_computation_from_the_files(built_home, small_landing):
    expected, first_month, last_month = expected_rep_kpis(small_landing)
    with connect(built_home / "warehouse.duckdb", read_only=True) as conn:
        table = conn.execute(
            "SELECT month, rep_id, won_count, lost_count, win_rate, bookings_amount, "
            "net_revenue, quota_amount, attainment FROM marts.mart_rep_kpis").fetchall()
    got = {(r[0], r[1]): r for r in table}
    # Every rep-month with activity is there, with exactly the expected numbers.
    for key, values in expected["kpis"].items():
        if not first_month <= key[0] <= last_month:
            continue
        row = got[key]
        assert (row[2], row[3]) == (values["won"], values["lost"]), key
        closed = values["won"] + values["lost"]
        assert row[4] == (pytest.approx(values["won"] / closed) if closed else None), key
        assert row[5] == values["bookings"], key
        assert row[6] == values["revenue"], key
    # Rows without activity are zeros; quotas and attainment are the plan's.
    for key, row in got.items():
        if key not in expected["kpis"]:
            assert row[2:4] == (0, 0) and row[4] is None and row[5] == 0 and row[6] == 0, key
        quota = expected["quotas"].get(key)
        assert row[7] == quota, key
        if quota:
            assert row[8] == pytest.approx(float(row[6]) / float(quota))
    total_revenue = sum(v["revenue"] for k, v in expected["kpis"].items()
                        if first_month <= k[0] <= last_month)
    assert sum(r[6] for r in table) == total_revenue
    assert total_revenue > 0 and sum(r[2] for r in table) > 0
    assert min(k[0] for k in got) == first_month and max(k[0] for k in got) == last_month


def test_every_employed_rep_has_a_row_every_month(built_home, small_landing):
    _, first_month, last_month = expected_rep_kpis(small_landing)
    keys = {(r[0], r[1]) for r in mart(built_home)}
    for rep in rows(small_landing, "crm", "reps"):
        month = first_month
        while month <= last_month:
            employed = (month_of(rep["hire_date"]) <= month
                        and (not rep["end_date"] or rep["end_date"] >= month.isoformat()))
            if employed:
                assert (month, rep["rep_id"]) in keys, (month, rep["rep_id"])
            month = date(month.year + month.month // 12, month.month % 12 + 1, 1)


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
    assert main(["build", "--landing", str(small_landing), "--home", str(built_home)]) == 0
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
    assert "raw__crm__reps" in started and "warehouse_dbt_assets" not in started
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
