"""Every column of the rep, manager and region KPI marts against tests/kpi_oracle.py, which
computes them from the landing files alone (csv + Decimal). Money must match to the digit,
ratios to 1e-9; every row the oracle expects is there, and no other.

The small company's rep exports carry a reorganisation (a rep moves to another manager and
region mid-way), so the manager and region figures are checked across it."""

from __future__ import annotations

import csv
import math
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from kpi_oracle import expected_kpis

from ingest.warehouse import connect

pytestmark = pytest.mark.e2e

LEVELS = {"mart_rep_kpis": "rep_id", "mart_manager_kpis": "manager_id",
          "mart_region_kpis": "region"}


def same(got, want) -> bool:
    if want is None or got is None:
        return got is None and want is None
    if isinstance(want, Decimal):
        return Decimal(got) == want
    if isinstance(want, float):
        return math.isclose(float(got), want, rel_tol=1e-9, abs_tol=1e-9)
    return got == want


def compare(home, mart: str, expected: dict) -> list[str]:
    level = LEVELS[mart]
    with connect(home / "warehouse.duckdb", read_only=True) as conn:
        cursor = conn.execute(f"SELECT * FROM marts.{mart}")
        names = [d[0] for d in cursor.description]
        rows = {(r["month"], r[level]): r for r in (dict(zip(names, t, strict=True))
                                                     for t in cursor.fetchall())}
    problems = [f"missing row {k}" for k in expected if k not in rows]
    problems += [f"unexpected row {k}" for k in rows if k not in expected]
    for key, want in sorted(expected.items()):
        got = rows.get(key)
        if got is None:
            continue
        problems += [f"{key} {column}: mart {got[column]!r}, files {value!r}"
                     for column, value in want.items() if not same(got[column], value)]
    return problems


@pytest.mark.parametrize("mart", sorted(LEVELS))
def test_every_kpi_column_matches_the_files(built_home, small_landing, mart):
    expected = expected_kpis(small_landing, LEVELS[mart])
    assert len(expected) > 50
    # Every KPI column of the mart is checked.
    with connect(built_home / "warehouse.duckdb", read_only=True) as conn:
        columns = {c for (c,) in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'marts' "
            "AND table_name = ?", [mart]).fetchall()}
    assert set(next(iter(expected.values()))) <= columns
    assert len(next(iter(expected.values()))) == 31
    problems = compare(built_home, mart, expected)
    assert problems == [], f"{len(problems)} differences, e.g. " + "\n".join(problems[:15])


def test_rep_manager_region_and_company_new_customers_add_up(built_home):
    with connect(built_home / "warehouse.duckdb", read_only=True) as conn:
        totals = conn.execute(
            "SELECT (SELECT sum(new_customers) FROM marts.mart_rep_kpis), "
            "(SELECT sum(new_customers) FROM marts.mart_manager_kpis), "
            "(SELECT sum(new_customers) FROM marts.mart_region_kpis), "
            "(SELECT sum(new_customers) FROM marts.mart_sales_daily), "
            "(SELECT count(*) FROM marts.dim_customer WHERE is_customer)").fetchall()[0]
    assert len(set(totals)) == 1 and totals[0] > 0, totals


def restate_rates(landing: Path, currency: str) -> None:
    """Rewrite plan/fx_rates for reporting in `currency`: each rate divided by that currency's
    rate of the same day (the old reporting currency becomes one more foreign currency)."""
    from decimal import ROUND_HALF_UP

    [path] = sorted((landing / "plan/fx_rates").glob("*.csv"))
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    base = {r["rate_date"]: Decimal(r["rate_to_reporting"]) for r in rows
            if r["currency"] == currency}
    eight = Decimal("1e-8")
    out = [{"rate_date": d, "currency": "USD",
            "rate_to_reporting": str((1 / rate).quantize(eight, ROUND_HALF_UP))}
           for d, rate in base.items()]
    out += [{**r, "rate_to_reporting": str((Decimal(r["rate_to_reporting"]) / base[r["rate_date"]])
                                           .quantize(eight, ROUND_HALF_UP))}
            for r in rows if r["currency"] != currency and r["rate_date"] in base]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["rate_date", "currency", "rate_to_reporting"])
        writer.writeheader()
        writer.writerows(sorted(out, key=lambda r: (r["rate_date"], r["currency"])))


def test_kpis_in_euros_with_a_fiscal_year_starting_in_april(small_landing, tmp_path):
    """Another reporting currency (rates restated in EUR, USD now foreign) and a fiscal year
    from April: every KPI column still matches the files, and the calendar's fiscal periods
    are the ones computed here."""
    from orchestration.cli import main

    landing = tmp_path / "landing"
    shutil.copytree(small_landing, landing)
    restate_rates(landing, "EUR")
    home = tmp_path / "home"
    assert main(["build", "--landing", str(landing), "--home", str(home),
                 "--reporting-currency", "EUR", "--fiscal-year-start-month", "4"]) == 0
    for mart in ("mart_rep_kpis", "mart_region_kpis"):
        expected = expected_kpis(landing, LEVELS[mart], reporting="EUR")
        problems = compare(home, mart, expected)
        assert problems == [], f"{len(problems)} differences, e.g. " + "\n".join(problems[:15])
    with connect(home / "warehouse.duckdb", read_only=True) as conn:
        days = conn.execute("SELECT date_day, fiscal_year, fiscal_quarter, fiscal_month "
                            "FROM marts.dim_date").fetchall()
    assert len(days) > 365
    for day, year, quarter, month in days:
        shifted = (day.month - 4) % 12  # April = 0
        assert (year, quarter, month) == (day.year + (day.month >= 4), shifted // 3 + 1,
                                          shifted + 1), day
