"""Reconciliation: children sum to parents after every method, and each method does what it
says on numbers worked out here."""

from __future__ import annotations

import numpy as np
import pytest

from models_py.forecasting.reconcile import Hierarchy, fix_parent, reconcile, shrunk_covariance

HIERARCHY = Hierarchy(bottom=("east", "west"), aggregates={"total": ("east", "west")})


def test_bottom_up_sums_the_bottom():
    out = reconcile(HIERARCHY, {"total": np.array([100.0]), "east": np.array([30.0]),
                                "west": np.array([50.0])}, method="bottom_up")
    assert out.method == "bottom_up" and out.forecasts["total"].tolist() == [80.0]


def test_wls_struct_splits_the_gap_by_how_many_series_each_row_sums():
    # Total 100, east 30 + west 50 = 80: the gap of 20, weighted 2 (total) : 1 : 1, gives
    # total 100 - 20 * 2/4 = 90, east 30 + 5 = 35, west 50 + 5 = 55.
    out = reconcile(HIERARCHY, {"total": np.array([100.0]), "east": np.array([30.0]),
                                "west": np.array([50.0])}, method="wls_struct")
    assert out.method == "wls_struct"
    assert np.allclose([out.forecasts[n][0] for n in ("total", "east", "west")],
                       [90.0, 35.0, 55.0])


def test_mint_moves_the_series_that_erred_more():
    rng = np.random.default_rng(0)
    errors = {"total": rng.normal(0, 1, 40), "east": rng.normal(0, 10, 40),
              "west": rng.normal(0, 1, 40)}
    out = reconcile(HIERARCHY, {"total": np.array([100.0]), "east": np.array([30.0]),
                                "west": np.array([50.0])}, errors)
    assert out.method == "mint_shrink"
    east, west, total = (out.forecasts[n][0] for n in ("east", "west", "total"))
    assert abs(east - 30) > 5 * abs(west - 50) and abs(total - 100) < 5
    assert total == pytest.approx(east + west, abs=1e-9)


def test_a_grouped_structure_is_coherent_on_every_row_and_falls_back_without_errors():
    bottom = tuple(f"{r}|{c}" for r in ("east", "west") for c in ("hw", "sw", "svc"))
    aggregates = {"company": bottom,
                  **{r: tuple(b for b in bottom if b.startswith(r)) for r in ("east", "west")},
                  **{c: tuple(b for b in bottom if b.endswith(c)) for c in ("hw", "sw", "svc")}}
    hierarchy = Hierarchy(bottom, aggregates)
    rng = np.random.default_rng(1)
    base = {name: rng.uniform(50, 150, 12) for name in hierarchy.names}
    out = reconcile(hierarchy, base)  # no errors: mint cannot run
    assert out.method == "wls_struct"
    for name, parts in aggregates.items():
        assert np.allclose(out.forecasts[name], sum(out.forecasts[p] for p in parts),
                           atol=1e-6)


def test_shrinkage_keeps_the_covariance_usable_with_few_observations():
    rng = np.random.default_rng(2)
    errors = rng.normal(0, 1, (5, 12))  # fewer observations than series
    covariance = shrunk_covariance(errors)
    assert np.all(np.linalg.eigvalsh(covariance) > 0)


def test_children_made_to_sum_to_a_fixed_parent_share_the_gap_by_weight():
    out = fix_parent(np.array([100.0]), {"a": np.array([30.0]), "b": np.array([50.0])},
                     {"a": 3.0, "b": 1.0})
    assert out["a"].tolist() == [45.0] and out["b"].tolist() == [55.0]


def test_the_probability_of_reaching_a_target_reads_the_asymmetric_interval():
    from models_py.forecasting.targets import probability_at_least

    # Forecast 100 with an 80 % interval of 90 .. 130: the upper bound is reached with 10 %,
    # the lower with 90 %, the forecast itself with 50 %; a target far above, almost never.
    assert probability_at_least(100, 100, 90, 130) == pytest.approx(0.5)
    assert probability_at_least(130, 100, 90, 130) == pytest.approx(0.1)
    assert probability_at_least(90, 100, 90, 130) == pytest.approx(0.9)
    assert probability_at_least(400, 100, 90, 130) < 1e-6


def test_the_fan_chart_is_an_svg_with_both_bands_and_both_lines():
    import xml.etree.ElementTree as ET

    from models_py.forecasting.chart import HEIGHT, WIDTH, fan_chart_svg

    history = [(f"2026-{m:02d}", 100.0 + m) for m in range(1, 11)]
    forecast = [(f"2026-{m:02d}", 110.0, 105.0, 116.0, 100.0, 125.0) for m in (11, 12)]
    root = ET.fromstring(fan_chart_svg("Company <net revenue>", history, forecast))
    ns = "{http://www.w3.org/2000/svg}"
    assert len(root.findall(f"{ns}polygon")) == 2 and len(root.findall(f"{ns}polyline")) == 2
    for shape in root.findall(f"{ns}polygon") + root.findall(f"{ns}polyline"):
        for point in shape.get("points").split():
            px, py = map(float, point.split(","))
            assert 0 <= px <= WIDTH and 0 <= py <= HEIGHT
    assert root.find(f"{ns}title").text == "Company <net revenue>"


def test_a_quota_counts_in_the_region_the_rep_is_in_that_month(tmp_path):
    """R1 moves from East to West on 2027-02-01 (entered ahead): January's quota stays East,
    February's goes West; a EUR quota is converted at the latest rate."""
    import duckdb

    from models_py.forecasting.targets import _quotas

    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    try:
        conn.execute("""
            CREATE SCHEMA staging; CREATE SCHEMA marts; CREATE SCHEMA intermediate;
            CREATE TABLE staging.stg_plan__quotas AS SELECT * FROM (VALUES
                ('R1', '2027-01', DATE '2027-01-01', 100.00::DECIMAL(18,2), 'USD'),
                ('R1', '2027-02', DATE '2027-02-01', 200.00::DECIMAL(18,2), 'USD'),
                ('R2', '2027-02', DATE '2027-02-01', 50.00::DECIMAL(18,2), 'EUR'))
                t(rep_id, period, period_month, quota_amount, currency);
            CREATE TABLE marts.dim_rep AS SELECT * FROM (VALUES
                ('R1', 'East', TIMESTAMP '2025-01-01', TIMESTAMP '2027-02-01'),
                ('R1', 'West', TIMESTAMP '2027-02-01', NULL),
                ('R2', 'East', TIMESTAMP '2027-06-01', NULL))
                t(rep_id, region, valid_from, valid_to);
            CREATE TABLE intermediate.int_fx_rates_daily AS SELECT * FROM (VALUES
                ('EUR', DATE '2026-10-30', 1.10), ('EUR', DATE '2026-10-31', 1.20))
                t(currency, date_day, rate_to_reporting)""")
        quotas = _quotas(conn)
    finally:
        conn.close()
    assert quotas[("East", "2027-01")] == pytest.approx(100)
    assert quotas[("West", "2027-02")] == pytest.approx(200)
    # R2's only record starts later: the first one stands for the months before it.
    assert quotas[("East", "2027-02")] == pytest.approx(60)
    assert quotas[("company", "2027-02")] == pytest.approx(260)
