"""The payout rules of PAYOUTS.md, each on numbers worked out by hand in the test."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest

from models_py.payouts.engine import (
    Credit,
    Inputs,
    Line,
    NewCustomer,
    RepMonth,
    Return,
    compute,
    payouts,
    round_money,
)
from models_py.payouts.plans import PlanError, load_plan, load_plans

PLAN = """
plan_id: ae_standard
version: "2026.1"
effective_from: 2026-01-01
applies_to: {{role: ae}}
currency: USD
tiers:
  method: {method}
  bands:
    - {{from: 0.0, to: 0.5, rate: 0.00}}
    - {{from: 0.5, to: 1.0, rate: 0.05}}
    - {{from: 1.0, to: 1.5, rate: 0.08}}
    - {{from: 1.5, rate: 0.10}}
{extra}
"""
MONTHS = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]


def plan_file(tmp_path: Path, method: str = "marginal", extra: str = "", name: str = "ae.yml",
              text: str | None = None) -> Path:
    path = tmp_path / "plans" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text if text is not None else PLAN.format(method=method, extra=extra),
                    encoding="utf-8")
    return path


def inputs(tmp_path: Path, credits: list[Credit], *, method: str = "marginal", extra: str = "",
           reps: dict[str, str] | None = None, quota: D = D("100000"),
           periods: list[str] | None = None, **kw) -> Inputs:
    plan_file(tmp_path, method, extra)
    periods = periods or ["2026-01"]
    reps = reps or {"R1": "ae"}
    return Inputs(
        plans=load_plans(tmp_path / "plans"), periods=periods,
        reps={(r, m): RepMonth(r, m, role, None) for r, role in reps.items() for m in periods},
        credits={"net_revenue": credits},
        quotas={(r, m): (quota, "USD") for r in reps for m in periods},
        **kw)


def total(lines: list[Line], rep: str = "R1", period: str | None = None,
          types: tuple[str, ...] | None = None) -> D:
    return sum((ln.amount for ln in lines if ln.rep_id == rep
                and (period is None or ln.period == period)
                and (types is None or ln.line_type in types)), D(0))


@pytest.mark.parametrize(("credit", "marginal", "retroactive"), [
    # quota 100,000; bands [0, .5) 0 %, [.5, 1) 5 %, [1, 1.5) 8 %, [1.5, ∞) 10 %
    ("0", "0", "0"),                      # 0 %
    ("49990", "0", "0"),                  # 49.99 %: still the 0 % band
    ("50000", "0", "2500.00"),            # exactly 50 %: the upper band; marginal slice is 0
    ("100000", "2500.00", "8000.00"),     # 100 %: 50,000 x 5 %; retroactive 100,000 x 8 %
    ("120000", "4100.00", "9600.00"),     # PAYOUTS.md: 2,500 + 20,000 x 8 %; 120,000 x 8 %
    ("200000", "11500.00", "20000.00"),   # 2,500 + 50,000 x 8 % + 50,000 x 10 %; 200,000 x 10 %
])
def test_tiers_both_ways(tmp_path, credit, marginal, retroactive):
    for method, expected in (("marginal", marginal), ("retroactive", retroactive)):
        result = compute(inputs(tmp_path / method, [
            Credit("R1", "O1", date(2026, 1, 10), D(credit))], method=method))
        assert total(result.lines) == D(expected), method


def test_marginal_lines_show_each_band(tmp_path):
    result = compute(inputs(tmp_path, [Credit("R1", "O1", date(2026, 1, 10), D("120000"))]))
    bands = [(ln.basis_amount, ln.rate, ln.amount) for ln in result.lines]
    assert bands == [(D("50000.0"), D("0.00"), D("0.00")), (D("50000.0"), D("0.05"), D("2500.00")),
                     (D("20000.0"), D("0.08"), D("1600.00"))]


def test_a_cap_cuts_commission_as_its_own_line(tmp_path):
    result = compute(inputs(tmp_path, [Credit("R1", "O1", date(2026, 1, 10), D("250000"))],
                            method="retroactive", extra="cap: {per_period: 20000}"))
    # 250,000 x 10 % = 25,000, capped at 20,000
    [cap] = [ln for ln in result.lines if ln.line_type == "cap"]
    assert cap.amount == D("-5000.00")
    assert total(result.lines) == D("20000.00")


@pytest.mark.parametrize(("kind", "paid"), [
    ("recoverable", ["2750", "3000", "2000", "2000", "2875", "2750"]),  # PAYOUTS.md
    ("non_recoverable", ["2750", "3000", "2000", "2375", "3000", "2750"]),
])
def test_draws_over_six_periods(tmp_path, kind, paid):
    # One band at 5 % with quota 1: commission is 5 % of credit, so the earnings are
    # 2,750 / 3,000 / 1,500 / 2,375 / 3,000 / 2,750.
    plan = PLAN.replace("""    - {{from: 0.0, to: 0.5, rate: 0.00}}
    - {{from: 0.5, to: 1.0, rate: 0.05}}
    - {{from: 1.0, to: 1.5, rate: 0.08}}
    - {{from: 1.5, rate: 0.10}}""", "    - {{from: 0, rate: 0.05}}")
    plan_file(tmp_path, text=plan.format(method="marginal",
                                         extra=f"draw: {{type: {kind}, per_period: 2000}}"))
    earned = ["55000", "60000", "30000", "47500", "60000", "55000"]
    credits = [Credit("R1", f"O{i}", date(2026, i + 1, 5), D(c)) for i, c in enumerate(earned)]
    data = Inputs(plans=load_plans(tmp_path / "plans"), periods=MONTHS,
                  reps={("R1", m): RepMonth("R1", m, "ae", None) for m in MONTHS},
                  credits={"net_revenue": credits},
                  quotas={("R1", m): (D(1), "USD") for m in MONTHS})
    lines = compute(data).lines
    assert [total(lines, period=m) for m in MONTHS] == [D(p) for p in paid]
    rows = payouts(lines)
    assert [r["total_payable"] for r in rows] == [D(p) for p in paid]


def test_returns_inside_the_window_reduce_credit_and_later_ones_do_not(tmp_path):
    order = Credit("R1", "O1", date(2026, 1, 10), D("100000"))
    inside = Return("R1", "O1", date(2026, 1, 10), date(2026, 2, 9), D("10000"))  # day 30
    outside = Return("R1", "O1", date(2026, 1, 10), date(2026, 5, 10), D("10000"))  # day 120
    extra = "clawback: {window_days: 90}"
    base = compute(inputs(tmp_path / "a", [order], extra=extra))
    assert total(base.lines) == D("2500.00")
    # Open period: simply recomputed on 90,000 -> 40,000 x 5 % = 2,000.
    with_inside = compute(inputs(tmp_path / "b", [order], extra=extra, returns=[inside]))
    assert total(with_inside.lines) == D("2000.00")
    late = compute(inputs(tmp_path / "c", [order], extra=extra, returns=[outside]))
    assert total(late.lines) == D("2500.00")
    [issue] = late.issues
    assert issue.kind == "return_outside_window" and issue.amount == D("10000")
    assert not issue.blocking


def test_a_return_into_a_locked_period_claws_back_in_the_first_open_one(tmp_path):
    order = Credit("R1", "O1", date(2026, 1, 10), D("100000"))
    other = Credit("R1", "O2", date(2026, 1, 20), D("20000"))
    feb = Credit("R1", "O3", date(2026, 2, 10), D("100000"))
    extra = "clawback: {window_days: 90}"
    periods = ["2026-01", "2026-02", "2026-03"]
    first = compute(inputs(tmp_path / "a", [order, other, feb], extra=extra, periods=periods))
    jan = [ln for ln in first.lines if ln.period == "2026-01"]
    assert total(jan) == D("4100.00")  # 120,000: 2,500 + 1,600
    locked = {"2026-01": [replace(ln, period_status="locked") for ln in jan]}
    snapshot = {k: v for k, v in first.credits.items() if k[0] == "2026-01"}
    # 30,000 of O1 comes back inside the window: January would be 90,000 -> 2,000.
    back = Return("R1", "O1", date(2026, 1, 10), date(2026, 3, 1), D("30000"))
    again = compute(inputs(tmp_path / "b", [order, other, feb], extra=extra, periods=periods,
                           returns=[back], locked_lines=locked, locked_credits=snapshot))
    assert [ln for ln in again.lines if ln.period == "2026-01"] == locked["2026-01"]
    [clawback] = [ln for ln in again.lines if ln.line_type == "clawback"]
    assert (clawback.period, clawback.source_ref, clawback.amount) == (
        "2026-02", "2026-01:O1", D("-2100.00"))
    assert total(again.lines, period="2026-02") == D("2500.00") - D("2100.00")
    # February locked with its clawback, then rebuilt: nothing is clawed back twice.
    feb_lines = [replace(ln, period_status="locked") for ln in again.lines
                 if ln.period == "2026-02"]
    third = compute(inputs(tmp_path / "c", [order, other, feb], extra=extra, periods=periods,
                           returns=[back], locked_lines={**locked, "2026-02": feb_lines},
                           locked_credits={**snapshot, **{k: v for k, v in again.credits.items()
                                                          if k[0] == "2026-02"}}))
    assert [ln for ln in third.lines if ln.period != "2026-03"] == \
        locked["2026-01"] + feb_lines
    assert [ln for ln in third.lines if ln.period == "2026-03"] == []
    # A return outside the window into the locked period changes nothing.
    late = Return("R1", "O2", date(2026, 1, 20), date(2026, 6, 1), D("20000"))
    fourth = compute(inputs(tmp_path / "d", [order, other, feb], extra=extra, periods=periods,
                            returns=[late], locked_lines=locked, locked_credits=snapshot))
    assert [ln for ln in fourth.lines if ln.line_type == "clawback"] == []


def test_spiffs_per_new_customer_and_contest_ties(tmp_path):
    extra = """spiffs:
  - {id: new_logo_h1, from: 2026-01-01, to: 2026-06-30, per_new_customer: 500}
  - {id: jan_contest, period: 2026-01, top: 1, metric: net_revenue, amount: 1000}"""
    credits = [Credit(r, f"O{r}", date(2026, 1, 10), D("80000")) for r in ("R1", "R2", "R3")]
    data = inputs(tmp_path, credits, extra=extra, reps={"R1": "ae", "R2": "ae", "R3": "ae"},
                  new_customers=[NewCustomer("A1", "OR1", "R1", date(2026, 1, 10)),
                                 NewCustomer("A2", "OR2", "R2", date(2026, 1, 12)),
                                 NewCustomer("A3", "OR1x", "R1", date(2025, 12, 30))])
    lines = compute(data).lines
    spiffs = sorted((ln.rep_id, ln.amount) for ln in lines if ln.line_type == "spiff")
    assert spiffs == [("R1", D("500.00")), ("R2", D("500.00"))]  # A3 came before the window
    # Three reps tie for first place of a 1,000 contest: 333.34 to R1 (first by id), 333.33.
    contest = sorted((ln.rep_id, ln.amount) for ln in lines if ln.line_type == "contest")
    assert contest == [("R1", D("333.34")), ("R2", D("333.33")), ("R3", D("333.33"))]


def test_a_manager_override_follows_the_hierarchy_of_each_month(tmp_path):
    plan_file(tmp_path)
    plan_file(tmp_path, name="mgr.yml", text=PLAN.format(method="marginal", extra="")
              .replace("ae_standard", "mgr").replace("role: ae", "role: manager")
              + "manager_override: {rate: 0.01}\n")
    months = ["2026-01", "2026-02"]
    reps = {("M1", m): RepMonth("M1", m, "manager", None) for m in months}
    reps |= {("M2", m): RepMonth("M2", m, "manager", None) for m in months}
    reps[("R1", "2026-01")] = RepMonth("R1", "2026-01", "ae", "M1")
    reps[("R1", "2026-02")] = RepMonth("R1", "2026-02", "ae", "M2")  # reorganised
    data = Inputs(plans=load_plans(tmp_path / "plans"), periods=months, reps=reps,
                  credits={"net_revenue": [Credit("R1", "O1", date(2026, 1, 5), D("40000")),
                                           Credit("R1", "O2", date(2026, 2, 5), D("60000"))]},
                  quotas={(r, m): (D("100000"), "USD") for r, m in reps})
    overrides = sorted((ln.rep_id, ln.period, ln.source_ref, ln.amount)
                       for ln in compute(data).lines if ln.line_type == "override")
    assert overrides == [("M1", "2026-01", "R1", D("400.00")),
                         ("M2", "2026-02", "R1", D("600.00"))]


def test_negative_halves_round_per_the_plan():
    assert round_money(D("-2.345"), "half_up") == D("-2.35")  # away from zero
    assert round_money(D("-2.345"), "half_even") == D("-2.34")
    assert round_money(D("2.345"), "half_up") == D("2.35")
    assert round_money(D("-2.355"), "half_even") == D("-2.36")


def test_rounding_once_per_line_with_the_plan_mode(tmp_path):
    # 50.10 above the 50 % boundary at 5 %: 2.505 -> 2.51 half up, 2.50 half even.
    for mode, expected in (("half_up", "2.51"), ("half_even", "2.50")):
        result = compute(inputs(tmp_path / mode, [Credit("R1", "O1", date(2026, 1, 10),
                                                         D("50050.10"))],
                                extra=f"rounding: {mode}"))
        assert total(result.lines) == D(expected), mode


def test_credit_without_quota_is_an_exception_not_a_guess(tmp_path):
    data = inputs(tmp_path, [Credit("R1", "O1", date(2026, 1, 10), D("1000"))])
    data.quotas = {}
    result = compute(data)
    assert [ln for ln in result.lines if ln.line_type == "commission"] == []
    [issue] = result.issues
    assert issue.kind == "no_quota" and issue.blocking and "deliver plan/quotas" in issue.detail


@pytest.mark.parametrize(("text", "where"), [
    ("tiers: {method: flat, bands: [{from: 0, rate: 0.1}]}", "tiers.method: 'flat' is not one"),
    ("tiers: {method: marginal, bands: [{from: 0, to: 0.5, rate: 0}, {from: 0.6, rate: 0.1}]}",
     "tiers.bands[1].from: must equal the previous band's to (0.5)"),
    ("tiers: {method: marginal, bands: [{from: 0, rate: -0.1}]}",
     "tiers.bands[0].rate: must be at least 0"),
    ("tiers: {method: marginal, bands: [{from: 0, rate: 0.1}]}\ndraw: {type: loan, per_period: 1}",
     "draw.type: 'loan' is not one of recoverable, non_recoverable"),
    ("tiers: {method: marginal, bands: [{from: 0, rate: 0.1}]}\ncapp: 1", "capp: unknown key"),
])
def test_invalid_plans_name_the_file_and_the_field(tmp_path, text, where):
    head = ("plan_id: p\nversion: '1'\neffective_from: 2026-01-01\napplies_to: {role: ae}\n"
            "currency: USD\n")
    path = plan_file(tmp_path, text=head + text)
    with pytest.raises(PlanError) as error:
        load_plan(path)
    assert str(path) in str(error.value) and where in str(error.value)


def test_overlapping_versions_for_the_same_reps_are_an_error(tmp_path):
    plan_file(tmp_path, name="a.yml")
    plan_file(tmp_path, name="b.yml", text=PLAN.format(method="marginal", extra="")
              .replace('"2026.1"', '"2026.2"').replace("2026-01-01", "2026-06-01"))
    with pytest.raises(PlanError) as error:
        load_plans(tmp_path / "plans")
    assert "both apply to role ae between 2026-06-01 and open end" in str(error.value)


def test_a_quarter_plan_measures_the_quarter_and_pays_at_its_end(tmp_path):
    months = ["2026-01", "2026-02", "2026-03"]
    plan_file(tmp_path, text=PLAN.format(method="marginal", extra="period: quarter"))
    credits = [Credit("R1", f"O{i}", date(2026, i + 1, 15), D(c))
               for i, c in enumerate(["30000", "40000", "50000"])]
    data = Inputs(plans=load_plans(tmp_path / "plans"), periods=months,
                  reps={("R1", m): RepMonth("R1", m, "ae", None) for m in months},
                  credits={"net_revenue": credits},
                  quotas={("R1", m): (D(q), "USD") for m, q in zip(
                      months, ["30000", "30000", "40000"], strict=True)})
    result = compute(data)
    # 120,000 on a quarter quota of 100,000: 2,500 + 1,600, paid in March.
    assert [total(result.lines, period=m) for m in months] == [D(0), D(0), D("4100.00")]
    march = result.standing[("R1", "2026-03")]
    assert (march.credit, march.quota, march.attainment) == (D("50000"), D("100000"),
                                                             D("1.200000"))


def test_a_bookings_plan_credits_won_deals_at_their_close_date(tmp_path):
    extra = "credit: {basis: bookings}"
    data = inputs(tmp_path, [Credit("R1", "O1", date(2026, 1, 10), D("999999"))], extra=extra)
    data.credits["bookings"] = [Credit("R1", "OPP1", date(2026, 1, 20), D("120000"))]
    assert total(compute(data).lines) == D("4100.00")


def test_a_plan_paid_in_another_currency_converts_credit_at_the_credit_date(tmp_path):
    plan_file(tmp_path, text=PLAN.format(method="marginal", extra="").replace(
        "currency: USD", "currency: EUR"))
    rates = {date(2026, 1, 10): D("1.25")}  # USD per EUR
    data = Inputs(plans=load_plans(tmp_path / "plans"), periods=["2026-01"],
                  reps={("R1", "2026-01"): RepMonth("R1", "2026-01", "ae", None)},
                  credits={"net_revenue": [Credit("R1", "O1", date(2026, 1, 10),
                                                  D("150000"))]},
                  quotas={("R1", "2026-01"): (D("100000"), "EUR")},
                  fx=lambda currency, day: rates.get(day) if currency == "EUR" else None)
    lines = compute(data).lines
    # 150,000 USD = 120,000 EUR: 120 % of the EUR quota -> 4,100.00 EUR
    assert total(lines) == D("4100.00") and {ln.currency for ln in lines} == {"EUR"}


def test_a_rep_after_their_end_date_earns_nothing_and_is_listed(tmp_path):
    data = inputs(tmp_path, [Credit("R1", "O1", date(2026, 1, 10), D("120000"))])
    data.reps[("R1", "2026-01")] = RepMonth("R1", "2026-01", "ae", None, employed=False)
    result = compute(data)
    assert result.lines == []
    [issue] = result.issues
    assert issue.kind == "not_employed" and not issue.blocking and issue.amount == D("120000")


def test_adjustments_are_lines_and_one_for_a_rep_without_a_plan_is_an_exception(tmp_path):
    from models_py.payouts.engine import Adjustment

    data = inputs(tmp_path, [], adjustments=[
        Adjustment("R1", "2026-01", D("-120.505"), "USD", "advance", "cfo", "f.csv:2"),
        Adjustment("R9", "2026-01", D("50"), "USD", "bonus", "cfo", "f.csv:3")])
    result = compute(data)
    [line] = [ln for ln in result.lines if ln.line_type == "adjustment"]
    assert (line.rep_id, line.amount, line.source_ref) == ("R1", D("-120.51"), "f.csv:2")
    assert [(i.rep_id, i.kind) for i in result.issues] == [("R9", "adjustment_without_plan")]
