"""The pipeline forecast of the current and next quarter (handbook ch. 5): closed-won so far,
plus the open deals weighted by win rates learned from this company's own history (not the
CRM's stage defaults), plus the business not in the pipeline yet, with P10/P50/P90 from a
seeded Monte Carlo; and its backtest, replaying what it would have said on the first day of
each past quarter.

- What an open deal is worth to a quarter is the chance it is won *within that quarter*,
  learned from this company's own history (not the CRM's stage defaults, and not the rep's
  close date): on the first of every past month, each open deal is keyed by its stage that
  day and its age (0-30, 31-90, 91-180, over 180 days), and the history counts how often
  such deals were won within the days left to the quarter's end (current quarter), or after
  that but by the end of the next quarter (next quarter). A snapshot counts for a window only
  if the whole window lies before the forecast day, so a recent snapshot whose outcome is not
  known yet never counts as a loss. Deals slip: those won later than their close date said
  are priced as such, which a "close date in the quarter" rule cannot do (the CRM keeps only
  the latest close date, so the dates the reps once promised cannot be replayed). Thin keys
  borrow from the stage's rate (a Beta prior of weight 5), the stage's from the overall rate.
- The rep's forecast category is not a feature: the CRM keeps only its latest value, which
  for a closed deal mirrors the outcome. The reps' call is reported beside the forecast
  (`commit_amount`: open deals they hold in commit with a close date in the quarter).
- Business not in the pipeline yet: on each past snapshot whose window is known, what deals
  created after it were won within the same window; each simulation draws one of the last
  twelve such snapshots.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import numpy as np

from models_py.describe import describe_tables

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


Window = tuple[int, int]  # (after, through): days after the forecast day, (after, through]
SNAPSHOT_SAMPLES = 12


def _windows(day: date, quarter_start: date, quarter_end: date, current: bool) -> Window:
    """Days after `day` in which a win lands in the quarter."""
    through = (quarter_end - day).days
    after = 0 if current else max((quarter_start - day).days - 1, 0)
    return after, through


def learn_win_rates(deals: list[Deal], day: date, windows: list[Window]
                    ) -> dict[Window, dict[tuple, float]]:
    """P(won within the window | stage, age) per window, from the deals open on the first
    of each past month whose window had passed by `day`; smoothed."""
    counts = {w: defaultdict(lambda: [0.0, 0.0]) for w in windows}
    snapshots = _month_starts(min((d.created for d in deals), default=day), day)
    for deal in deals:
        won_on = deal.closed_on if deal.won and deal.closed_on is not None \
            and deal.closed_on < day else None
        for snapshot in snapshots:
            if not open_on(deal, snapshot):
                continue
            stage = stage_on(deal, snapshot) or "prospecting"
            key = (stage, _bucket((snapshot - deal.created).days))
            won_after = (won_on - snapshot).days if won_on is not None else None
            for window in windows:
                after, through = window
                if snapshot + timedelta(days=through) >= day:
                    continue  # the outcome within this window is not known yet
                hit = won_after is not None and after < won_after <= through
                for k in (key, key[:1], ()):
                    counts[window][k][0] += hit
                    counts[window][k][1] += 1
    return {window: _smooth(by_key) for window, by_key in counts.items()}


def _smooth(counts: dict[tuple, list[float]]) -> dict[tuple, float]:
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
    """What the history says as of a day, per window: win rates, and the new business that
    past snapshots saw won within the same window."""

    rates: dict[Window, dict[tuple, float]]
    new_business: dict[Window, list[float]]


def learn(deals: list[Deal], day: date, windows: list[Window]) -> Learned:
    return Learned(learn_win_rates(deals, day, windows),
                   {w: new_business_history(deals, day, w) for w in windows})


def forecast_quarter(deals: list[Deal], day: date, quarter_start: date, quarter_end: date,
                     label: str, current: bool, rng: np.random.Generator,
                     learned: Learned) -> QuarterForecast:
    window = _windows(day, quarter_start, quarter_end, current)
    rates, runs = learned.rates[window], learned.new_business[window]
    won = sum(d.amount for d in deals if d.won and d.closed_on is not None
              and quarter_start <= d.closed_on <= day) if current else 0.0
    open_deals = [d for d in deals if open_on(d, day)]
    amounts = np.array([d.amount for d in open_deals])
    chances = np.array([win_probability(rates, d, day) for d in open_deals])
    totals = np.full(SIMULATIONS, won)
    if len(open_deals):
        draws = rng.random((SIMULATIONS, len(open_deals))) < chances
        totals = totals + draws.astype(float) @ amounts
    if runs:
        totals = totals + rng.choice(np.array(runs), SIMULATIONS)
    p10, p50, p90 = np.quantile(totals, [0.1, 0.5, 0.9])
    new = float(np.mean(runs)) if runs else 0.0
    called = [d for d in open_deals if d.commit and d.close_date is not None and (
        quarter_start <= d.close_date <= quarter_end or (current and d.close_date <= day))]
    expected_in = chances @ amounts if len(amounts) else 0.0
    return QuarterForecast(
        label, won, len(open_deals), float(amounts.sum()), won + float(expected_in) + new,
        float(p10), float(p50), float(p90), float(sum(d.amount for d in called)), new)


def new_business_history(deals: list[Deal], day: date, window: Window,
                         samples: int = SNAPSHOT_SAMPLES) -> list[float]:
    """For the latest past snapshots whose window had passed by `day`: the amount won within
    the window by deals created after the snapshot."""
    after, through = window
    first = min((d.created for d in deals), default=day)
    # Snapshots whose window had passed by `day`, after a quarter of warm-up (at the very
    # start of the data everything is "created after" and the pipeline is still filling).
    snapshots = [s for s in _month_starts(first, day) if s + timedelta(days=through) < day
                 and s - timedelta(days=90) >= first][-samples:]
    return [sum(d.amount for d in deals if d.won and d.closed_on is not None
                and d.created > s and after < (d.closed_on - s).days <= through)
            for s in snapshots]


def forecast_pipeline(deals: list[Deal], day: date) -> list[QuarterForecast]:
    """The current quarter (as of `day`) and the next."""
    rng = np.random.default_rng(SEED)
    start, end, label = quarter_of(day)
    next_start, next_end, next_label = quarter_of(end + timedelta(days=1))
    windows = [_windows(day, start, end, True), _windows(day, next_start, next_end, False)]
    learned = learn(deals, day, windows)  # once: both quarters are judged on the same day
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
        window = _windows(quarter_start, quarter_start, quarter_end, True)
        result = forecast_quarter(deals, quarter_start, quarter_start, quarter_end, label,
                                  True, rng, learn(deals, quarter_start, [window]))
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
    describe_tables(conn, {
        "forecast.pipeline_forecast": "Bookings of the current and next quarter [run x "
        "quarter]: closed-won so far + open deals at their learned chance of winning within the "
        "quarter + new business, P10/P50/P90 by seeded Monte Carlo; the reps' commit beside it.",
        "forecast.pipeline_backtest": "The pipeline forecast replayed on day 1 of each past "
        "quarter against what was won in it [run x quarter]."})
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
