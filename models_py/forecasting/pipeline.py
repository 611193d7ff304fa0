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
- Where the deal model (models_py/scoring/deals.py) scored the open deals as of the same
  day and beat its stage-only baseline, a deal's chance in a window is its win probability
  (won within the model's 180 days) times the share of such wins that land in the window,
  learned per stage and age the same way; a window reaching past 180 days adds the learned
  rate of wins after day 180. The backtest replays both ways: the deal model retrained as of
  each quarter's first day, and the stage-and-age rates alone.
- Business not in the pipeline yet: on each past snapshot whose window is known, what deals
  created after it were won within the same window; each simulation draws one of the last
  twelve such snapshots.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import NamedTuple

import duckdb
import numpy as np

from models_py.describe import describe_tables
from models_py.scoring.deals import HORIZON_DAYS

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
        new_business DOUBLE NOT NULL, created_at TIMESTAMP NOT NULL,
        priced_by_model INTEGER DEFAULT 0, scoring_run_id VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS forecast.pipeline_backtest (
        run_id VARCHAR NOT NULL, quarter VARCHAR NOT NULL, replayed_on DATE NOT NULL,
        method VARCHAR DEFAULT 'stage_age_rates', open_deals INTEGER NOT NULL,
        priced_by_model INTEGER DEFAULT 0, p10 DOUBLE NOT NULL, p50 DOUBLE NOT NULL,
        p90 DOUBLE NOT NULL, actual DOUBLE NOT NULL, error_pct DOUBLE,
        inside_p10_p90 BOOLEAN NOT NULL)""",
    # Added with the deal model's win probabilities (issue 13); a home made before keeps its
    # rows, which were all priced by the stage-and-age rates.
    "ALTER TABLE forecast.pipeline_forecast ADD COLUMN IF NOT EXISTS priced_by_model "
    "INTEGER DEFAULT 0",
    "ALTER TABLE forecast.pipeline_forecast ADD COLUMN IF NOT EXISTS scoring_run_id VARCHAR",
    "ALTER TABLE forecast.pipeline_backtest ADD COLUMN IF NOT EXISTS method VARCHAR "
    "DEFAULT 'stage_age_rates'",
    "ALTER TABLE forecast.pipeline_backtest ADD COLUMN IF NOT EXISTS priced_by_model "
    "INTEGER DEFAULT 0",
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
    # The deal model's chance to be won within HORIZON_DAYS of the forecast day, if scored.
    model_chance: float | None = None


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
    priced_by_model: int = 0  # open deals priced by the deal model's win probability


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
                    ) -> tuple[dict[Window, dict[tuple, float]], dict[Window, dict[tuple, float]]]:
    """From the deals open on the first of each past month whose window had passed by `day`,
    per window, smoothed: P(won within the window | stage, age), and, among the deals won
    within HORIZON_DAYS, the share won within the window's part up to HORIZON_DAYS."""
    counts = {w: defaultdict(lambda: [0.0, 0.0]) for w in windows}
    shares = {w: defaultdict(lambda: [0.0, 0.0]) for w in windows}
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
            horizon_known = snapshot + timedelta(days=HORIZON_DAYS) < day
            won_in_horizon = won_after is not None and won_after <= HORIZON_DAYS
            for window in windows:
                after, through = window
                if horizon_known and won_in_horizon:
                    landed = after < won_after <= min(through, HORIZON_DAYS)
                    for k in (key, key[:1], ()):
                        shares[window][k][0] += landed
                        shares[window][k][1] += 1
                if snapshot + timedelta(days=through) >= day:
                    continue  # the outcome within this window is not known yet
                hit = won_after is not None and after < won_after <= through
                for k in (key, key[:1], ()):
                    counts[window][k][0] += hit
                    counts[window][k][1] += 1
    return ({window: _smooth(by_key) for window, by_key in counts.items()},
            {window: _smooth(by_key) for window, by_key in shares.items()})


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


def chance_in_window(learned: Learned, window: Window, deal: Deal, day: date) -> float:
    """The chance the deal is won within the window: from the deal model where it scored the
    deal, else from the stage-and-age rates."""
    if deal.model_chance is None:
        return win_probability(learned.rates[window], deal, day)
    after, through = window
    share = win_probability(learned.shares[window], deal, day) if after < HORIZON_DAYS else 0.0
    beyond = (max(after, HORIZON_DAYS), through)
    tail = win_probability(learned.rates[beyond], deal, day) if through > HORIZON_DAYS else 0.0
    return min(1.0, deal.model_chance * share + tail)


def open_on(deal: Deal, day: date) -> bool:
    return deal.created <= day and (deal.closed_on is None or deal.closed_on > day)


@dataclass(frozen=True)
class Learned:
    """What the history says as of a day, per window: win rates, the share of wins within
    the deal model's horizon that land in the window, and the new business that past
    snapshots saw won within the same window."""

    rates: dict[Window, dict[tuple, float]]
    shares: dict[Window, dict[tuple, float]]
    new_business: dict[Window, list[float]]


def learn(deals: list[Deal], day: date, windows: list[Window]) -> Learned:
    # A window reaching past the deal model's horizon also needs the rate of the wins after it.
    beyond = [(max(after, HORIZON_DAYS), through) for after, through in windows
              if through > HORIZON_DAYS]
    rates, shares = learn_win_rates(deals, day, list(dict.fromkeys(windows + beyond)))
    return Learned(rates, shares, {w: new_business_history(deals, day, w) for w in windows})


def forecast_quarter(deals: list[Deal], day: date, quarter_start: date, quarter_end: date,
                     label: str, current: bool, rng: np.random.Generator,
                     learned: Learned) -> QuarterForecast:
    window = _windows(day, quarter_start, quarter_end, current)
    runs = learned.new_business[window]
    won = sum(d.amount for d in deals if d.won and d.closed_on is not None
              and quarter_start <= d.closed_on <= day) if current else 0.0
    open_deals = [d for d in deals if open_on(d, day)]
    amounts = np.array([d.amount for d in open_deals])
    chances = np.array([chance_in_window(learned, window, d, day) for d in open_deals])
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
        float(p10), float(p50), float(p90), float(sum(d.amount for d in called)), new,
        sum(d.model_chance is not None for d in open_deals))


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


class BacktestRow(NamedTuple):
    quarter: str
    replayed_on: date
    method: str  # STAGE_AGE_RATES or WIN_PROBABILITY
    open_deals: int
    priced_by_model: int
    p10: float
    p50: float
    p90: float
    actual: float
    error_pct: float | None
    inside_p10_p90: bool


STAGE_AGE_RATES = "stage_age_rates"
WIN_PROBABILITY = "win_probability"
# The deal model's win probabilities of the deals open on a day, from a model trained on what
# was known that day; None when it could not be trained or did not beat its baseline.
ModelChances = Callable[[date], "dict[str, float] | None"]


def backtest_pipeline(deals: list[Deal], day: date,
                      model_chances: ModelChances | None = None) -> list[BacktestRow]:
    """For each complete past quarter with a year of history before it: the forecast made on
    its first day, and what was won in it; once with the stage-and-age rates, and once with
    the deal model as of that day where `model_chances` gives its probabilities."""
    rows: list[BacktestRow] = []
    if not deals:
        return rows
    first = min(d.created for d in deals)
    start, _, _ = quarter_of(first + timedelta(days=365))
    while True:
        quarter_start, quarter_end, label = quarter_of(start)
        if quarter_end >= day:
            break
        window = _windows(quarter_start, quarter_start, quarter_end, True)
        learned = learn(deals, quarter_start, [window])
        actual = sum(d.amount for d in deals if d.won and d.closed_on is not None
                     and quarter_start <= d.closed_on <= quarter_end)
        unscored = [replace(d, model_chance=None) for d in deals]
        chances = model_chances(quarter_start) if model_chances else None
        replays = [(STAGE_AGE_RATES, unscored)]
        if chances is not None:
            replays.append((WIN_PROBABILITY, [replace(d, model_chance=chances.get(
                d.opportunity_id)) for d in unscored]))
        for method, priced in replays:
            result = forecast_quarter(priced, quarter_start, quarter_start, quarter_end, label,
                                      True, np.random.default_rng(SEED), learned)
            error = (result.p50 - actual) / actual * 100 if actual else None
            rows.append(BacktestRow(label, quarter_start, method, result.open_deals,
                                    result.priced_by_model, result.p10, result.p50,
                                    result.p90, actual, error,
                                    result.p10 <= actual <= result.p90))
        start = quarter_end + timedelta(days=1)
    return rows


def deal_model_chances(conn: duckdb.DuckDBPyConnection) -> ModelChances:
    """The deal model retrained as of a past day (models_py/scoring/deals.py replays every
    feature and outcome as known that day)."""
    from models_py.scoring.deals import score_deals
    from models_py.scoring.training import NotEnoughHistory

    def chances(day: date) -> dict[str, float] | None:
        try:
            scoring = score_deals(conn, day)
        except NotEnoughHistory:
            return None
        if scoring.trained.chosen != "model":
            return None
        return dict(zip(scoring.today.opportunity_id, scoring.trained.scores, strict=True))
    return chances


def stored_win_probabilities(conn: duckdb.DuckDBPyConnection, day: date
                             ) -> tuple[str | None, dict[str, float]]:
    """The newest scoring run made as of `day` whose deal model beat its baseline, and its
    win probabilities; (None, {}) when there is none (not scored since the last build, or
    the model fell back to the stage-only rates, which the stage-and-age rates here
    already refine)."""
    exists = conn.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema "
                          "= 'scoring' AND table_name = 'win_probabilities'").fetchall()[0][0]
    if not exists:
        return None, {}
    rows = conn.execute(
        """SELECT run_id, opportunity_id, win_probability FROM scoring.win_probabilities
        WHERE run_id = (SELECT run_id FROM scoring.win_probabilities WHERE as_of_date = ?
                        ORDER BY scored_at DESC NULLS LAST, run_id DESC LIMIT 1)
            AND scored_by = 'model'""", [day]).fetchall()
    return (rows[0][0] if rows else None), {opportunity: p for _, opportunity, p in rows}


def read_deals(conn: duckdb.DuckDBPyConnection) -> tuple[list[Deal], date, str | None]:
    """The deals, the as-of day, and the scoring run whose win probabilities the open deals
    carry (None: priced by the stage-and-age rates)."""
    day = conn.execute("SELECT as_of_date FROM intermediate.int_as_of_date").fetchall()[0][0]
    scoring_run, chances = stored_win_probabilities(conn, day)
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
                          bool(commit), stages or ((created, "prospecting"),),
                          chances.get(opportunity)))
    return deals, day, scoring_run


def pipeline_run(conn: duckdb.DuckDBPyConnection, run_id: str
                 ) -> tuple[list[QuarterForecast], list[BacktestRow], str | None]:
    """Forecast, backtest and store; returns the scoring run that priced the open deals."""
    for ddl in DDL:
        conn.execute(ddl)
    describe_tables(conn, {
        "forecast.pipeline_forecast": "Bookings of the current and next quarter [run x "
        "quarter]: closed-won so far + open deals at their chance of winning within the "
        "quarter (the deal model's win probability where scoring_run_id scored them as of "
        "the same day, else rates learned by stage and age) + new business, P10/P50/P90 by "
        "seeded Monte Carlo; the reps' commit beside it.",
        "forecast.pipeline_backtest": "The pipeline forecast replayed on day 1 of each past "
        "quarter against what was won in it [run x quarter x method]: by the stage-and-age "
        "rates, and by the deal model retrained as of that day."})
    deals, day, scoring_run = read_deals(conn)
    quarters = forecast_pipeline(deals, day)
    backtest = backtest_pipeline(deals, day, deal_model_chances(conn))
    conn.execute("DELETE FROM forecast.pipeline_forecast WHERE run_id = ?", [run_id])
    conn.executemany(
        "INSERT INTO forecast.pipeline_forecast (run_id, as_of_date, quarter, "
        "closed_won_to_date, open_deals, open_amount, expected, p10, p50, p90, commit_amount, "
        "new_business, created_at, priced_by_model, scoring_run_id) VALUES (?, ?, ?, ?, ?, ?, "
        "?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?, ?)",
        [(run_id, day, q.quarter, q.closed_won_to_date, q.open_deals, q.open_amount,
          q.expected, q.p10, q.p50, q.p90, q.commit_amount, q.new_business, q.priced_by_model,
          scoring_run) for q in quarters])
    conn.execute("DELETE FROM forecast.pipeline_backtest WHERE run_id = ?", [run_id])
    if backtest:
        conn.executemany(
            "INSERT INTO forecast.pipeline_backtest (run_id, quarter, replayed_on, method, "
            "open_deals, priced_by_model, p10, p50, p90, actual, error_pct, inside_p10_p90) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(run_id, *row) for row in backtest])
    return quarters, backtest, scoring_run
