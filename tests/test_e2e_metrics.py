"""The semantic layer answers what the marts say: each metric, grouped as a mart is grouped,
equals the mart's column (exactly for money, to 1e-9 for ratios)."""

from __future__ import annotations

import csv
from decimal import Decimal

import duckdb
import pytest
from test_e2e_cli_process import run_cli

from models_py.serving.metrics import SEMANTIC_MANIFEST, Metrics
from orchestration.settings import DBT_PROJECT_DIR

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def metrics(built_home):
    engine = Metrics(DBT_PROJECT_DIR / "target" / SEMANTIC_MANIFEST,
                     built_home / "serving" / "warehouse.duckdb")
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def region_kpis(built_home) -> dict[tuple[str, str], tuple]:
    with duckdb.connect(str(built_home / "serving" / "warehouse.duckdb"), read_only=True) as c:
        rows = c.execute("SELECT strftime(month, '%Y-%m'), region, win_rate, net_revenue, "
                         "attainment, bookings_amount FROM marts.mart_region_kpis WHERE region "
                         "<> '(unassigned)'").fetchall()
    return {(month, region): rest for month, region, *rest in rows}


def by_month_region(result) -> dict[tuple[str, str], tuple]:
    return {(f"{month:%Y-%m}", region): rest for month, region, *rest in result.rows
            if region is not None}


def test_sales_wh_metrics_query_gives_the_win_rate_of_mart_region_kpis(built_home, tmp_path,
                                                                       region_kpis):
    out = tmp_path / "win_rate.csv"
    done = run_cli("metrics", "query", "--home", str(built_home), "--metrics", "win_rate",
                   "--group-by", "metric_time__month,rep__region", "--csv", str(out))
    assert done.returncode == 0, done.stderr
    assert "wall" in done.stderr
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert all(len(r["metric_time__month"]) == 10 for r in rows)  # a date, 2026-10-01
    answered = {(r["metric_time__month"][:7], r["rep__region"]): r["win_rate"] for r in rows
                if r["rep__region"]}
    compared = 0
    for key, (win_rate, *_) in region_kpis.items():
        got = answered.get(key, "")
        if win_rate is None:
            assert got == "", key
        else:
            assert float(got) == pytest.approx(win_rate, abs=1e-9), key
            compared += 1
    assert compared >= 20


def test_money_and_attainment_by_month_and_region_equal_the_mart(metrics, region_kpis):
    result = metrics.query(["net_revenue", "attainment", "bookings"],
                           ["metric_time__month", "rep__region"])
    answered = by_month_region(result)
    for key, (_, net_revenue, attainment, bookings) in region_kpis.items():
        got_revenue, got_attainment, got_bookings = answered.get(key, (None, None, None))
        assert (got_revenue or Decimal(0)) == net_revenue, key  # exact: Decimal both sides
        assert (got_bookings or Decimal(0)) == bookings, key
        if attainment is None:
            assert got_attainment is None, key
        else:
            assert float(got_attainment) == pytest.approx(attainment, abs=1e-9), key
    assert isinstance(next(v[0] for v in answered.values() if v[0] is not None), Decimal)


def test_survey_metrics_by_month_equal_the_satisfaction_mart_rolled_up(metrics, built_home):
    with duckdb.connect(str(built_home / "serving" / "warehouse.duckdb"), read_only=True) as c:
        sums = {f"{m:%Y-%m}": rest for m, *rest in c.execute(
            "SELECT month, sum(promoters), sum(detractors), sum(nps_responses), "
            "sum(csat_satisfied), sum(csat_responses), sum(complaints), sum(orders) "
            "FROM marts.mart_customer_satisfaction GROUP BY month").fetchall()}
    result = metrics.query(["nps", "csat", "complaints_per_100_orders"], ["metric_time__month"])
    answered = {f"{m:%Y-%m}": rest for m, *rest in result.rows}
    checked = 0
    for month, (promoters, detractors, responses, satisfied, csat_n, complaints, orders) in \
            sums.items():
        nps, csat, per_100 = answered[month]
        if responses:
            assert nps == pytest.approx(100 * (promoters - detractors) / responses, abs=1e-9)
            checked += 1
        if csat_n:
            assert csat == pytest.approx(satisfied / csat_n, abs=1e-9)
        if orders:
            assert per_100 == pytest.approx(100 * complaints / orders, abs=1e-9)
    assert checked >= 12


def test_every_handbook_metric_is_defined(metrics):
    names = {name for name, _, _ in metrics.list()}
    assert {"net_revenue", "bookings", "win_rate", "attainment", "pipeline",
            "weighted_pipeline", "nps", "csat", "complaints_per_100_orders", "new_customers",
            "retention"} <= names
