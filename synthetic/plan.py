"""The sales-ops plan of the synthetic company: quotas, targets, FX rates, market size, costs,
commission plans and finance's commission adjustments.

Set the way sales ops would: from the run rate with a stretch, so attainment lands around
target with spread between reps. A new hire's first month has a ramp quota (half). Quotas are
set for the reps on commission: AEs and channel reps.

The plan also runs ahead of the data, as a real one does: revenue targets and quotas for the
rest of the data's last year and all of the next (`plan_months`), set from the same month a
year earlier with PLAN_GROWTH, so the forecast can be held against them (forecast_vs_target).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthetic.company import (
    CHANNEL_COST_RATIO,
    CHANNELS,
    END,
    REGIONS,
    START,
    Company,
    months,
)
from synthetic.orders import Totals
from synthetic.writer import date_text, money_text

PLAN_GROWTH = 1.10  # next year's plan: last year's run rate plus ten per cent


def _round_to(value: float, step: float) -> float:
    return float(np.round(value / step) * step)


def _round_quota(value: float) -> float:
    """Quotas in round thousands, or hundreds for a small company, never zero: a rep on
    commission always has a quota to be measured against."""
    step = 1000 if value >= 20_000 else 100
    return max(step, _round_to(value, step))


def plan_months() -> list[str]:
    """The months after the data that the plan already covers: to the end of next year."""
    last = np.datetime64(END, "M")
    horizon = np.datetime64(f"{END.year + 1}-12", "M")
    return [str(last + k) for k in range(1, int((horizon - last).astype(int)) + 1)]


def _year_before(period: str) -> str:
    return f"{int(period[:4]) - 1}{period[4:]}"


def _ahead(by_period: dict[str, float], period: str) -> float:
    """A future month's plan value: the same month a year (or two) earlier, grown."""
    before = _year_before(period)
    if before in by_period:
        return by_period[before] * PLAN_GROWTH
    return _ahead(by_period, before) * PLAN_GROWTH if before > min(by_period) else 0.0


def quotas(company: Company, totals: Totals) -> pd.DataFrame:
    rng = company.stream_rng(7)
    rows = []
    all_months = months()
    mean_factor = float(np.mean([m.factor for m in all_months]))
    on_commission = company.reps[company.reps.role.isin(["ae", "channel"])]
    region_of = dict(zip(company.ae.rep_id, company.ae.region, strict=True))
    region_earnings: dict[str, list[float]] = {}
    for (rep_id, _), value in totals.rep.items():
        if rep_id in region_of:
            region_earnings.setdefault(region_of[rep_id], []).append(value)
    for rep in on_commission.itertuples():
        active = [m for m in all_months
                  if np.datetime64(rep.hire_date) <= m.start + m.days - 1
                  and (rep.end_date is None or np.datetime64(rep.end_date) >= m.start)]
        earned = [totals.rep.get((rep.rep_id, m.period), 0.0) for m in active]
        region_mean = np.mean(region_earnings.get(rep.region, [0.0]))
        base = float(np.mean(earned)) if earned and np.mean(earned) > 0 else float(region_mean)
        for k, month in enumerate(active):
            ramp = 0.5 if k == 0 and np.datetime64(rep.hire_date) > np.datetime64(START) else 1
            quota = _round_quota(base * month.factor / mean_factor * rng.uniform(0.95, 1.15)
                                 * ramp)
            rows.append({"rep_id": rep.rep_id, "period": month.period,
                         "quota_amount": f"{quota:.2f}", "currency": "USD"})
    staying = set(on_commission[on_commission.end_date.isna()].rep_id)
    rows += _future_quotas(company, [r for r in rows if r["rep_id"] in staying])
    return pd.DataFrame(rows)


def _future_quotas(company: Company, past: list[dict[str, str]]) -> list[dict[str, str]]:
    """Quotas of the reps still on board for the plan months: the same month last year's
    quota grown (a stream of its own, so the past quotas do not move)."""
    rng = company.stream_rng(11)
    by_rep: dict[str, dict[str, float]] = {}
    for row in past:
        by_rep.setdefault(row["rep_id"], {})[row["period"]] = float(row["quota_amount"])
    rows = []
    for rep_id, by_period in by_rep.items():
        for period in plan_months():
            quota = _round_quota(_ahead(by_period, period) * rng.uniform(0.97, 1.05))
            if quota > 0:
                rows.append({"rep_id": rep_id, "period": period,
                             "quota_amount": f"{quota:.2f}", "currency": "USD"})
    return rows


def fx_rates(company: Company) -> pd.DataFrame:
    rng = company.stream_rng(8)
    days = np.arange(np.datetime64(START, "D") - 31, np.datetime64(END, "D") + 1)
    business = days[np.is_busday(days)]  # no rates on weekends: the as-of join must cope
    walk = 1.085 * np.exp(np.cumsum(rng.normal(0, 0.003, business.size)))
    return pd.DataFrame({"rate_date": date_text(business), "currency": "EUR",
                         "rate_to_reporting": [f"{r:.6f}" for r in walk]})


def targets(totals: Totals) -> pd.DataFrame:
    rows = []
    for month in months():
        revenue = sum(totals.region.get((r, month.period), 0.0) for r in REGIONS)
        rows += [
            (month.period, "revenue", _round_to(revenue * 1.05, 1000), "company"),
            (month.period, "new_customers",
             float(round(totals.new_customers.get(month.period, 0) * 1.1)), "company"),
            (month.period, "csat", 0.8, "company"),
            (month.period, "nps", 30.0, "company"),
            (month.period, "category_mix", 0.25, "category:Software"),
        ]
        for region in REGIONS:
            region_revenue = totals.region.get((region, month.period), 0.0)
            rows.append((month.period, "revenue", _round_to(region_revenue * 1.05, 1000),
                         f"region:{region}"))
            rows.append((month.period, "market_share", 0.12, f"region:{region}"))
    rows += _future_revenue_targets(rows)
    frame = pd.DataFrame(rows, columns=["period", "metric", "target_value", "scope"])
    frame["target_value"] = [f"{v:.4f}" for v in frame.target_value]
    return frame


def _future_revenue_targets(rows: list[tuple[str, str, float, str]]
                            ) -> list[tuple[str, str, float, str]]:
    """Revenue targets of the plan months, company and regions: last year's target grown."""
    by_scope: dict[str, dict[str, float]] = {}
    for period, metric, value, scope in rows:
        if metric == "revenue":
            by_scope.setdefault(scope, {})[period] = value
    return [(period, "revenue", _round_to(_ahead(by_period, period), 1000), scope)
            for scope, by_period in by_scope.items() for period in plan_months()]


def market_size(company: Company, totals: Totals) -> pd.DataFrame:
    rng = company.stream_rng(9)
    rows = []
    for month in months():
        for region in REGIONS:
            share = rng.uniform(0.08, 0.14)
            value = _round_to(totals.region.get((region, month.period), 0.0) / share, 1000)
            rows.append({"period": month.period, "region": region,
                         "market_revenue": f"{value:.2f}"})
    return pd.DataFrame(rows)


def channel_costs(company: Company, totals: Totals) -> pd.DataFrame:
    rng = company.stream_rng(10)
    rows = []
    for month in months():
        for k, channel in enumerate(CHANNELS):
            cost = totals.channel.get((channel, month.period), 0.0) * CHANNEL_COST_RATIO[k]
            cents = round(cost * float(rng.uniform(0.9, 1.1)) * 100)
            rows.append({"period": month.period, "channel": channel,
                         "cost": money_text(np.array([cents]))[0]})
    return pd.DataFrame(rows)


def commission_adjustments(company: Company, totals: Totals) -> pd.DataFrame:
    """What finance keyed in by hand: a bonus and a deduction, each with reason and approver.
    The deduction goes to the AE and month of early 2025 with the most credit, and only when
    that credit is large enough to have earned commission to take it from (a small company's
    month may earn none, and a payable is never negative)."""
    last_ae = company.ae.rep_id.iloc[-1]
    rows = [{"rep_id": last_ae, "period": "2026-03", "amount": "750.00", "currency": "USD",
             "reason": "onboarding bonus agreed at hire", "approved_by": "cfo@example.com"}]
    aes = set(company.ae.rep_id)
    early = [(credit, period, rep) for (rep, period), credit in totals.rep.items()
             if rep in aes and "2025-01" <= period <= "2025-06"]
    if early and max(early)[0] >= 20_000:
        _, period, rep = max(early)
        rows.append({"rep_id": rep, "period": period, "amount": "-120.50", "currency": "USD",
                     "reason": "expense advance not returned",
                     "approved_by": "controller@example.com"})
    return pd.DataFrame(rows)


# The demo company's plans (PAYOUTS.md): AEs marginal with a SPIFF and a contest, a second AE
# version from 2026 that adds a recoverable draw, channel reps retroactive with a cap, managers
# with an override of their reps' credit.
# What both versions of the AE plan share; the 2026 version adds a draw, drops the SPIFFs.
AE_TERMS = """\
applies_to: {role: ae}
currency: USD
period: month
credit: {basis: net_revenue}
tiers:
  method: marginal
  bands:
    - {from: 0.0, to: 0.5, rate: 0.00}
    - {from: 0.5, to: 1.0, rate: 0.05}
    - {from: 1.0, to: 1.5, rate: 0.08}
    - {from: 1.5, rate: 0.10}
clawback: {window_days: 90}
"""
COMMISSION_PLANS = {
    "ae_standard_2025.yml": """\
plan_id: ae_standard
version: "2025.1"
effective_from: 2024-11-01
effective_to: 2025-12-31
""" + AE_TERMS + """\
spiffs:
  - {id: new_logo_h1_2025, from: 2025-01-01, to: 2025-06-30, per_new_customer: 500}
  - {id: march_2025_contest, period: 2025-03, top: 1, metric: net_revenue, amount: 1000}
rounding: half_up
""",
    "ae_standard_2026.yml": """\
plan_id: ae_standard
version: "2026.1"
effective_from: 2026-01-01
""" + AE_TERMS + """\
draw: {type: recoverable, per_period: 2500}
rounding: half_up
""",
    "channel_partner.yml": """\
plan_id: channel_partner
version: "2025.1"
effective_from: 2024-11-01
applies_to: {role: channel}
currency: USD
period: month
credit: {basis: net_revenue}
tiers:
  method: retroactive
  bands:
    - {from: 0.0, to: 0.8, rate: 0.01}
    - {from: 0.8, to: 1.2, rate: 0.02}
    - {from: 1.2, rate: 0.03}
cap: {per_period: 12000}
clawback: {window_days: 60}
rounding: half_even
""",
    "manager.yml": """\
plan_id: manager
version: "2025.1"
effective_from: 2024-11-01
applies_to: {role: manager}
currency: USD
period: month
tiers:
  method: marginal
  bands:
    - {from: 0.0, rate: 0.00}
manager_override: {rate: 0.01}
rounding: half_up
""",
}


def plan_tables(company: Company, totals: Totals) -> dict[str, pd.DataFrame]:
    return {
        "commission_adjustments": commission_adjustments(company, totals),
        "quotas": quotas(company, totals),
        "targets": targets(totals),
        "fx_rates": fx_rates(company),
        "market_size": market_size(company, totals),
        "channel_costs": channel_costs(company, totals),
    }
