"""Revenue forecasts of the sample company: every series, coherent, on the right months."""

from __future__ import annotations

import csv
import shutil
from datetime import date

import pytest

from ingest.warehouse import connect
from models_py.forecasting.revenue import forecast_revenue
from models_py.forecasting.targets import forecast_vs_target

pytestmark = pytest.mark.e2e


def test_forecasts_cover_every_series_and_children_sum_to_parents(built_home, small_landing,
                                                                   tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(built_home / "warehouse.duckdb", warehouse)
    with connect(warehouse) as conn:
        run = forecast_revenue(conn, "run-a")
        forecast_revenue(conn, "run-b")  # every run is kept
        runs = conn.execute("SELECT count(DISTINCT run_id) FROM forecast.revenue_forecast"
                            ).fetchall()[0][0]
        rows = conn.execute("SELECT level, series, month, yhat, lo80, hi80, lo95, hi95 "
                            "FROM forecast.revenue_forecast WHERE run_id = 'run-a'").fetchall()
        chosen = conn.execute("SELECT count(*) FROM forecast.backtest_metrics WHERE run_id = "
                              "'run-a' AND is_chosen").fetchall()[0][0]
        # The demo plan covers the forecast's months (the rest of this year and next year).
        planned = forecast_vs_target(conn, "run-a")
        quotas = dict(conn.execute(
            "SELECT series, sum(quota) FROM forecast.forecast_vs_target WHERE run_id = "
            "'run-a' AND level = 'region' AND month = '2027-03-01' GROUP BY series"
        ).fetchall())
        company_quota = conn.execute(
            "SELECT quota FROM forecast.forecast_vs_target WHERE run_id = 'run-a' "
            "AND level = 'company' AND month = '2027-03-01'").fetchall()[0][0]
        # Next year's targets, set at the forecast's own median and 80 % bounds: the chance
        # of reaching them is 50 %, 10 % and 90 % by construction.
        (m1, y1, _, _), (m2, y2, _, hi2), (m3, _, lo3, _) = conn.execute(
            "SELECT month, yhat, lo80, hi80 FROM forecast.revenue_forecast WHERE run_id = "
            "'run-a' AND level = 'company' ORDER BY month LIMIT 3").fetchall()
        for month, value in ((m1, y1), (m2, hi2), (m3, lo3)):
            conn.execute("UPDATE staging.stg_plan__targets SET target_value = ? WHERE "
                         "period = ? AND metric = 'revenue' AND scope = 'company'",
                         [round(value, 2), f"{month:%Y-%m}"])
        forecast_vs_target(conn, "run-a")
        versus = conn.execute(
            "SELECT month, target, gap_to_target, probability_reaching_target FROM "
            "forecast.forecast_vs_target WHERE run_id = 'run-a' AND level = 'company' "
            "AND target IS NOT NULL ORDER BY month LIMIT 3").fetchall()
    # From the plan files: every forecast month has a company revenue target, and the
    # company's quota is the sum of the reps' quotas of the month, which the regions split.
    with next((small_landing / "plan/targets").glob("*.csv")).open(encoding="utf-8") as f:
        targeted = {r["period"] for r in csv.DictReader(f)
                    if r["metric"] == "revenue" and r["scope"] == "company"}
    with next((small_landing / "plan/quotas").glob("*.csv")).open(encoding="utf-8") as f:
        march = sum(float(r["quota_amount"]) for r in csv.DictReader(f)
                    if r["period"] == "2027-03")
    forecast_months = {f"{r[2]:%Y-%m}" for r in rows}
    assert forecast_months <= targeted
    assert planned >= len(forecast_months)
    assert company_quota == pytest.approx(march) and march > 0
    assert sum(quotas.values()) == pytest.approx(march)
    assert [round(p, 3) for *_, p in versus] == [0.5, 0.1, 0.9]
    assert versus[1][2] == pytest.approx(y2 - round(hi2, 2))
    assert runs == 2
    # The series, from the files: channels of the orders, categories of the products.
    with (small_landing / "orders/orders/2026-10-31.csv").open(encoding="utf-8") as handle:
        channels = {r["channel"] for r in csv.DictReader(handle)}
    by_level: dict[str, set[str]] = {}
    for level, series, *_ in rows:
        by_level.setdefault(level, set()).add(series)
    assert by_level["company"] == {"company"} and by_level["channel"] <= channels
    assert len(rows) == 12 * sum(len(s) for s in by_level.values())
    # Trained through the last complete month: the data end on 2026-10-31.
    assert run.trained_through.strftime("%Y-%m") == "2026-10"
    assert sorted({r[2] for r in rows}) == [date(2026 + (10 + i) // 12, (10 + i) % 12 + 1, 1)
                                            for i in range(12)]
    for _, _, _, yhat, lo80, hi80, lo95, hi95 in rows:
        assert lo95 <= lo80 <= yhat <= hi80 <= hi95
    value = {(lvl, s, m): y for lvl, s, m, y, *_ in rows}
    for month in {r[2] for r in rows}:
        company = value[("company", "company", month)]
        for level in ("region", "channel", "category", "region_category"):
            total = sum(y for (lvl, _, m), y in value.items() if lvl == level and m == month)
            assert abs(total - company) <= 1e-6 * max(abs(company), 1), level
        for region in by_level["region"]:
            parts = sum(y for (lvl, s, m), y in value.items() if lvl == "region_category"
                        and m == month and s.startswith(region + " | "))
            assert abs(parts - value[("region", region, month)]) <= 1e-6 * max(abs(parts), 1)
    assert chosen > 0


def test_the_pipeline_forecast_adds_what_was_won_to_the_weighted_pipeline(built_home,
                                                                          small_landing,
                                                                          tmp_path):
    from models_py.forecasting.pipeline import pipeline_run

    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(built_home / "warehouse.duckdb", warehouse)
    with connect(warehouse) as conn:
        quarters, backtest, scoring_run = pipeline_run(conn, "run-p")
        again, *_ = pipeline_run(conn, "run-q")  # seeded: the same numbers
    current, following = quarters
    assert (current.quarter, following.quarter) == ("2026Q4", "2027Q1")
    # Won so far this quarter, from the files: the latest version of each deal, Closed Won,
    # closed between 2026-10-01 and the as-of day 2026-10-31, USD or EUR at its close date.
    deals = {}
    with (small_landing / "crm/opportunities/2026-10-31.csv").open(encoding="utf-8") as handle:
        for row in sorted(csv.DictReader(handle), key=lambda r: r["updated_at"]):
            deals[row["opportunity_id"]] = row
    with (small_landing / "plan/fx_rates/2026-10-31.csv").open(encoding="utf-8") as handle:
        rates = sorted((r["rate_date"], float(r["rate_to_reporting"]))
                       for r in csv.DictReader(handle) if r["currency"] == "EUR")
    won = 0.0
    for deal in deals.values():
        if deal["stage"].lower() == "closed won" and deal["is_deleted"] != "true" \
                and "2026-10-01" <= deal["close_date"] <= "2026-10-31":
            rate = 1.0 if deal["currency"] == "USD" else [
                r for d, r in rates if d <= deal["close_date"]][-1]
            won += float(deal["amount"]) * rate
    assert current.closed_won_to_date == pytest.approx(won, rel=1e-9)
    assert following.closed_won_to_date == 0
    for q in quarters:
        assert q.p10 <= q.p50 <= q.p90 and q.p10 >= q.closed_won_to_date
    assert [q.p50 for q in again] == [q.p50 for q in quarters]
    assert scoring_run is None and current.priced_by_model == 0  # not scored yet
    assert backtest and all(row.p10 <= row.p50 <= row.p90 for row in backtest)
    # Each past quarter is replayed by the rates and, where the deal model could be trained
    # as of its first day, by the model, against the same bookings.
    by_quarter: dict[str, set] = {}
    for row in backtest:
        by_quarter.setdefault(row.quarter, set()).add((row.method, row.actual, row.open_deals))
    assert all(len({(a, n) for _, a, n in rows}) == 1 for rows in by_quarter.values())


def test_the_pipeline_forecast_prices_open_deals_by_the_scoring_run_of_its_day(built_home,
                                                                             tmp_path):
    from models_py.forecasting.pipeline import pipeline_run
    from models_py.scoring.deals import score_deals, store

    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(built_home / "warehouse.duckdb", warehouse)
    with connect(warehouse) as conn:
        [(day,)] = conn.execute("SELECT as_of_date FROM intermediate.int_as_of_date").fetchall()
        scoring = score_deals(conn, day)
        store(conn, "score-1", scoring)
        if scoring.trained.chosen != "model":
            pytest.skip(f"the deal model fell back to {scoring.trained.chosen} here")
        (current, _), _, run = pipeline_run(conn, "priced")
        assert run == "score-1"
        # Every open deal with an amount is priced by the run (it scored every deal open on
        # the day): counted here from the opportunities and their stage history.
        [(open_deals,)] = conn.execute("""
            SELECT count(*) FROM marts.fct_opportunities AS o
            WHERE NOT is_deleted AND amount_reporting IS NOT NULL AND created_date <= ?
              AND coalesce((SELECT min(entered_date) FROM
                            staging.stg_crm__opportunity_stage_history AS h
                            WHERE h.opportunity_id = o.opportunity_id AND h.canonical_stage
                            IN ('closed_won', 'closed_lost')),
                           CASE WHEN is_closed THEN close_date END, DATE '9999-12-31') > ?
            """, [day, day]).fetchall()
        assert current.priced_by_model == current.open_deals == open_deals > 0
        # With the run saying no open deal can be won, the current quarter (under 180 days
        # away) is what was won so far plus the new business, to the cent.
        conn.execute("UPDATE scoring.win_probabilities SET win_probability = 0")
        (current, _), *_ = pipeline_run(conn, "priced-at-zero")
        assert current.expected == pytest.approx(
            current.closed_won_to_date + current.new_business, abs=0.005)
        # A run as of another day does not price today's deals (they may have moved since).
        conn.execute("UPDATE scoring.win_probabilities SET as_of_date = as_of_date - 1")
        (current, _), _, run = pipeline_run(conn, "stale")
        assert run is None and current.priced_by_model == 0


def test_sales_wh_forecast_runs_the_job_with_its_checks_and_draws_the_fan_chart(
        built_home, tmp_path, capsys):
    import xml.etree.ElementTree as ET

    from orchestration.cli import main

    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(built_home / "warehouse.duckdb", home / "warehouse.duckdb")
    assert main(["forecast", "--home", str(home)]) == 0
    said = capsys.readouterr().out
    assert "reconciled by" in said and "bookings 2026Q4: P50" in said
    chart = ET.parse(home / "exports" / "forecast" / "company_fan_chart.svg").getroot()
    assert len(chart.findall("{http://www.w3.org/2000/svg}polygon")) == 2
    with connect(home / "warehouse.duckdb", read_only=True) as conn:
        runs = conn.execute("SELECT count(DISTINCT run_id) FROM forecast.pipeline_forecast"
                            ).fetchall()[0][0]
    assert runs == 1
