"""The pipeline forecast of the current and next quarter (handbook ch. 5): closed-won so far,
plus the open deals weighted by win rates learned from this company's own history (not the
CRM's stage defaults), plus the business not in the pipeline yet, with P10/P50/P90 from a
seeded Monte Carlo; and its backtest, replaying what it would have said on the first day of
each past quarter.

- Win rates come from the stage history replayed on the first of every past month: each deal
  closed before the forecast day counts on every such day it was open, keyed by its stage
  that day and its age (0-30, 31-90, 91-180, over 180 days); thin keys borrow from the
  stage's rate (a Beta prior of weight 5), the stage's from the overall rate. The rep's
  forecast category is not a feature: the CRM keeps only its latest value, which for a
  closed deal mirrors the outcome. The reps' call is reported
  beside the forecast instead (`commit_amount`: open deals they hold in commit).
- An open deal is expected in the quarter of its close date; one whose close date has passed
  is expected in the current quarter.
- Business not yet in the pipeline: what deals created within a quarter won within it, in
  each of the last four quarters before the forecast day; each simulation draws one of them,
  scaled to the part of the quarter still to come.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import numpy as np

SIMULATIONS = 20_000
SEED = 20261130
PRIOR_WEIGHT = 5.0
AGE_BUCKETS = ((0, 30), (31, 90), (91, 180), (181, 10**6))

DDL = (
    "CREATE SCHEMA IF NOT EXISTS forecast",
    """CREATE TABLE IF NOT EXISTS forecast.pipeline_forecast (
        run_id VARCHAR NOT NULL, as_of_date DATE NOT NULL, quarter VARCHAR NOT NULL,
        closed_won_to_date DOUBLE NOT NULL, open_deals INTEGER NOT NULL,
        open_amount DOUBLE NOT NULL, expected DOUBLE NOT NULL, p10 DOUBLE NOT NULL,
        p50 DOUBLE NOT NULL, p90 DOUBLE NOT NULL, commit_amount DOUBLE NOT NULL,
        new_business DOUBLE NOT NULL, created_at TIMESTAMP NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS forecast.pipeline_backtest (
        run_id VARCHAR NOT NULL, quarter VARCHAR NOT NULL, replayed_on DATE NOT NULL,
        open_deals INTEGER NOT NULL, p10 DOUBLE NOT NULL, p50 DOUBLE NOT NULL,
        p90 DOUBLE NOT NULL, actual DOUBLE NOT NULL, error_pct DOUBLE,
        inside_p10_p90 BOOLEAN NOT NULL)""",
)


@dataclass(frozen=True)
class Deal:
    opportunity_id: str
    created: date
    close_date: date | None  # expected while open, actual once closed
    amount: float  # reporting currency
    won: bool
    closed_on: date | None  # the day it entered closed_won / closed_lost, if it did
    commit: bool
    stages: tuple[tuple[date, str], ...]  # (entered, canonical stage), in order


@dataclass(frozen=True)
class QuarterForecast:
    quarter: str
    closed_won_to_date: float
    open_deals: int
    open_amount: float
    expected: float
    p10: float
    p50: float
    p90: float
    commit_amount: float
    new_business: float  # expected from deals not created yet


def quarter_of(day: date) -> tuple[date, date, str]:
    first_month = (day.month - 1) // 3 * 3 + 1
    start = date(day.year, first_month, 1)
    end_month = first_month + 3
    end = (date(day.year + (end_month > 12), (end_month - 1) % 12 + 1, 1)
           - timedelta(days=1))
    return start, end, f"{day.year}Q{(day.month - 1) // 3 + 1}"


def _bucket(days: int) -> int:
    return next(i for i, (low, high) in enumerate(AGE_BUCKETS) if low <= days <= high)


def stage_on(deal: Deal, day: date) -> str | None:
    current = None
    for entered, stage in deal.stages:
        if entered <= day:
            current = stage
    return current


def learn_win_rates(deals: list[Deal], day: date) -> dict[tuple, float]:
    """P(won | stage, age) as deals stood on past snapshot days (the first of each month
    before `day`), from the deals that closed before `day`: a deal that has sat in an early
    stage for months is judged as such deals were, not as fresh ones; smoothed."""
    counts: dict[tuple, list[float]] = defaultdict(lambda: [0.0, 0.0])
    snapshots = _month_starts(min((d.created for d in deals), default=day), day)
    for deal in deals:
        if deal.closed_on is None or deal.closed_on >= day:
            continue
        for snapshot in snapshots:
            if not open_on(deal, snapshot):
                continue
            stage = stage_on(deal, snapshot) or "prospecting"
            key = (stage, _bucket((snapshot - deal.created).days))
            for k in (key, key[:1], ()):
                counts[k][0] += deal.won
                counts[k][1] += 1
    overall = (counts[()][0] + 1) / (counts[()][1] + 2)  # Laplace: never 0 or 1 exactly

    def smoothed(key: tuple, prior: float) -> float:
        wins, total = counts.get(key, (0.0, 0.0))
        return (wins + PRIOR_WEIGHT * prior) / (total + PRIOR_WEIGHT)

    rates: dict[tuple, float] = {(): overall}
    for key in list(counts):
        if len(key) == 1:
            rates[key] = smoothed(key, overall)
    for key in list(counts):
        if len(key) == 2:
            rates[key] = smoothed(key, rates.get(key[:1], overall))
    return rates


def _month_starts(first: date, day: date) -> list[date]:
    out, current = [], date(first.year, first.month, 1)
    while current < day:
        out.append(current)
        current = date(current.year + (current.month == 12), current.month % 12 + 1, 1)
    return out


def win_probability(rates: dict[tuple, float], deal: Deal, day: date) -> float:
    stage = stage_on(deal, day) or "prospecting"
    key = (stage, _bucket((day - deal.created).days))
    return rates.get(key, rates.get((stage,), rates[()]))


def open_on(deal: Deal, day: date) -> bool:
    return deal.created <= day and (deal.closed_on is None or deal.closed_on > day)


@dataclass(frozen=True)
class Learned:
    """What the history says as of a day: win rates and the recent new-business quarters."""

    rates: dict[tuple, float]
    new_business: list[float]


def learn(deals: list[Deal], day: date) -> Learned:
    return Learned(learn_win_rates(deals, day), new_business_history(deals, day))


def forecast_quarter(deals: list[Deal], day: date, quarter_start: date, quarter_end: date,
                     label: str, current: bool, rng: np.random.Generator,
                     learned: Learned) -> QuarterForecast:
    rates, runs = learned.rates, learned.new_business
    won = sum(d.amount for d in deals if d.won and d.closed_on is not None
              and quarter_start <= d.closed_on <= day) if current else 0.0
    expected_in = [d for d in deals if open_on(d, day) and d.close_date is not None and (
        quarter_start <= d.close_date <= quarter_end
        or (current and d.close_date < quarter_start) or (current and d.close_date <= day))]
    amounts = np.array([d.amount for d in expected_in])
    chances = np.array([win_probability(rates, d, day) for d in expected_in])
    totals = np.full(SIMULATIONS, won)
    if len(expected_in):
        draws = rng.random((SIMULATIONS, len(expected_in))) < chances
        totals = totals + draws.astype(float) @ amounts
    remaining = ((quarter_end - max(day, quarter_start - timedelta(days=1))).days
                 / ((quarter_end - quarter_start).days + 1))
    if runs:
        totals = totals + rng.choice(np.array(runs), SIMULATIONS) * remaining
    p10, p50, p90 = np.quantile(totals, [0.1, 0.5, 0.9])
    new = float(np.mean(runs)) * remaining if runs else 0.0
    return QuarterForecast(
        label, won, len(expected_in), float(amounts.sum()),
        won + (float(chances @ amounts) if len(amounts) else 0.0) + new,
        float(p10), float(p50), float(p90),
        float(sum(d.amount for d in expected_in if d.commit)), new)


def new_business_history(deals: list[Deal], day: date, quarters: int = 4) -> list[float]:
    """Won within the quarter by deals created within it, for the last complete quarters
    before `day`."""
    out = []
    start, _, _ = quarter_of(day)
    for _ in range(quarters):
        end = start - timedelta(days=1)
        start, _, _ = quarter_of(end)
        if min((d.created for d in deals), default=end) > start:
            break
        out.append(sum(d.amount for d in deals if d.won and d.closed_on is not None
                       and start <= d.created <= end and start <= d.closed_on <= end))
    return out


def forecast_pipeline(deals: list[Deal], day: date) -> list[QuarterForecast]:
    """The current quarter (as of `day`) and the next."""
    rng = np.random.default_rng(SEED)
    start, end, label = quarter_of(day)
    next_start, next_end, next_label = quarter_of(end + timedelta(days=1))
    learned = learn(deals, day)  # once: both quarters are judged on the same day
    return [forecast_quarter(deals, day, start, end, label, True, rng, learned),
            forecast_quarter(deals, day, next_start, next_end, next_label, False, rng, learned)]


def backtest_pipeline(deals: list[Deal], day: date) -> list[tuple]:
    """For each complete past quarter with a year of history before it: the forecast made on
    its first day, and what was won in it."""
    rows = []
    if not deals:
        return rows
    first = min(d.created for d in deals)
    start, _, _ = quarter_of(first + timedelta(days=365))
    while True:
        quarter_start, quarter_end, label = quarter_of(start)
        if quarter_end >= day:
            break
        rng = np.random.default_rng(SEED)
        result = forecast_quarter(deals, quarter_start, quarter_start, quarter_end, label,
                                  True, rng, learn(deals, quarter_start))
        actual = sum(d.amount for d in deals if d.won and d.closed_on is not None
                     and quarter_start <= d.closed_on <= quarter_end)
        error = (result.p50 - actual) / actual * 100 if actual else None
        rows.append((label, quarter_start, result.open_deals, result.p10, result.p50,
                     result.p90, actual, error, result.p10 <= actual <= result.p90))
        start = quarter_end + timedelta(days=1)
    return rows


def read_deals(conn: duckdb.DuckDBPyConnection) -> tuple[list[Deal], date]:
    day = conn.execute("SELECT as_of_date FROM intermediate.int_as_of_date").fetchall()[0][0]
    history: dict[str, list[tuple[date, str]]] = defaultdict(list)
    for opportunity, entered, stage in conn.execute(
            "SELECT opportunity_id, entered_date, canonical_stage FROM "
            "staging.stg_crm__opportunity_stage_history WHERE entered_date IS NOT NULL "
            "ORDER BY opportunity_id, entered_at, stage_order").fetchall():
        history[opportunity].append((entered, stage))
    deals = []
    for row in conn.execute(
            "SELECT opportunity_id, created_date, close_date, amount_reporting::DOUBLE, is_won, "
            "is_closed, forecast_category = 'commit' FROM marts.fct_opportunities "
            "WHERE NOT is_deleted AND amount_reporting IS NOT NULL ORDER BY 1").fetchall():
        opportunity, created, close, amount, won, closed, commit = row
        stages = tuple(history.get(opportunity, ()))
        closed_on = next((e for e, s in stages if s in ("closed_won", "closed_lost")),
                         close if closed else None)
        deals.append(Deal(opportunity, created, close, amount, bool(won), closed_on,
                          bool(commit), stages or ((created, "prospecting"),)))
    return deals, day


def pipeline_run(conn: duckdb.DuckDBPyConnection, run_id: str) -> tuple[list[QuarterForecast],
                                                                       list[tuple]]:
    for ddl in DDL:
        conn.execute(ddl)
    deals, day = read_deals(conn)
    quarters = forecast_pipeline(deals, day)
    backtest = backtest_pipeline(deals, day)
    conn.execute("DELETE FROM forecast.pipeline_forecast WHERE run_id = ?", [run_id])
    conn.executemany(
        "INSERT INTO forecast.pipeline_forecast VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "now()::TIMESTAMP)",
        [(run_id, day, q.quarter, q.closed_won_to_date, q.open_deals, q.open_amount,
          q.expected, q.p10, q.p50, q.p90, q.commit_amount, q.new_business)
         for q in quarters])
    conn.execute("DELETE FROM forecast.pipeline_backtest WHERE run_id = ?", [run_id])
    if backtest:
        conn.executemany("INSERT INTO forecast.pipeline_backtest VALUES "
                         "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [(run_id, *row) for row in backtest])
    return quarters, backtest
