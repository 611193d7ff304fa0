"""Win probability of every open opportunity (handbook 6.3.2 "获胜概率"), from the same
machinery as the lead scores (training.py).

The history is replayed: on the first day of every past month, each deal open that day is a
row with what was known then: its stage (stage history), days in that stage, its age, its
amount as last updated by then (a deal whose amount was only ever exported after that day has
none then), its owner's win rate over the deals they closed in the 365 days before, whether
its account was already a customer (a won deal or an order before), and its product category
(the deal's, else its product's).
The outcome is whether the deal was won within 180 days of that day, known once 180 days have
passed (a deal that was still open, or lost, was not won). Deals, not days, are held out:
the split is by the deal's creation date, so every row of a deal is in one period. Today's open
deals are scored as of the as-of day; the baseline is the win rate by stage.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import date

import duckdb
import pandas as pd

from ingest.warehouse import in_transaction
from models_py.scoring.store import write_run
from models_py.scoring.training import (
    MIN_POSITIVES_PER_PERIOD,
    MIN_ROWS_PER_PERIOD,
    Periods,
    Trained,
    model_tables,
    split_by_time,
    train_and_measure,
)

MODEL = "win_probability"
CATEGORICAL = ("stage", "product_category", "customer")
NUMERIC = ("days_in_stage", "deal_age_days", "log_amount", "owner_win_rate")
# The outcome: won within this many days of the day. Known once that many days have passed,
# so a deal still open today never counts as lost (no censoring bias).
HORIZON_DAYS = 180
OWNER_WINDOW_DAYS = 365
OWNER_PRIOR_DEALS = 10  # an owner with few closed deals is pulled toward the company's rate
MIN_CLOSED_BEHIND = 30


def deal_snapshots(conn: duckdb.DuckDBPyConnection, as_of: date) -> pd.DataFrame:
    """One row per deal and day it was open: the first of every month before the as-of day,
    and the as-of day itself (today's open deals, to score)."""
    return conn.execute(
        f"""
        WITH deals AS (
            SELECT opportunities.opportunity_id, opportunities.owner_rep_id,
                opportunities.account_id, opportunities.created_date, opportunities.is_won,
                opportunities.is_closed, opportunities.close_date,
                coalesce(opportunities.product_category, products.category, '(none)')
                    AS product_category
            FROM staging.stg_crm__opportunities AS opportunities
            LEFT JOIN staging.stg_orders__products AS products
                ON products.product_id = opportunities.product_id
            WHERE NOT opportunities.is_deleted
                AND opportunities.created_date <= CAST(? AS DATE)
        ),
        -- One stage per deal and day (the last entered that day), so the as-of joins below
        -- match one row whatever the storage order.
        history AS (
            SELECT opportunity_id, entered_date, canonical_stage
            FROM staging.stg_crm__opportunity_stage_history WHERE entered_date IS NOT NULL
            QUALIFY row_number() OVER (PARTITION BY opportunity_id, entered_date
                                       ORDER BY entered_at DESC, stage_order DESC) = 1
        ),
        closings AS (
            SELECT deals.opportunity_id, coalesce(
                min(history.entered_date) FILTER (
                    WHERE history.canonical_stage IN ('closed_won', 'closed_lost')),
                CASE WHEN deals.is_closed THEN deals.close_date END) AS closed_on
            FROM deals LEFT JOIN history USING (opportunity_id)
            GROUP BY deals.opportunity_id, deals.is_closed, deals.close_date
        ),
        days AS (
            SELECT CAST(day AS DATE) AS day FROM range(
                date_trunc('month', (SELECT min(created_date) FROM deals)) + INTERVAL 1 MONTH,
                CAST(? AS DATE), INTERVAL 1 MONTH) AS t(day)
            UNION SELECT CAST(? AS DATE)
        ),
        snapshots AS (
            SELECT days.day, deals.*, closings.closed_on
            FROM deals JOIN closings USING (opportunity_id)
            JOIN days ON deals.created_date <= days.day
                AND (closings.closed_on IS NULL OR closings.closed_on > days.day)
        ),
        staged AS (
            SELECT snapshots.*, history.canonical_stage AS stage_then,
                history.entered_date AS stage_entered
            FROM snapshots ASOF LEFT JOIN history
                ON snapshots.opportunity_id = history.opportunity_id
                AND snapshots.day >= history.entered_date
        ),
        -- The amount of each dated version (one per deal and day: the last). A version
        -- without updated_at is dated by nothing the business did: never known on a day.
        versions AS (
            SELECT opportunity_id, amount, updated_date AS known_on
            FROM raw.crm__opportunities WHERE updated_date IS NOT NULL
            QUALIFY row_number() OVER (PARTITION BY opportunity_id, updated_date
                                       ORDER BY updated_at DESC, _load_id DESC,
                                                _source_line DESC) = 1
        ),
        amounts AS (
            SELECT staged.opportunity_id, staged.day, versions.amount
            FROM staged ASOF LEFT JOIN versions
                ON staged.opportunity_id = versions.opportunity_id
                AND staged.day >= versions.known_on
        ),
        closed AS (
            SELECT owner_rep_id, closed_on, is_won FROM deals JOIN closings
                USING (opportunity_id) WHERE closed_on IS NOT NULL
        ),
        owner_record AS (
            SELECT staged.opportunity_id, staged.day,
                count(closed.closed_on) AS owner_closed,
                count(closed.closed_on) FILTER (WHERE closed.is_won) AS owner_won
            FROM staged LEFT JOIN closed ON closed.owner_rep_id = staged.owner_rep_id
                AND closed.closed_on < staged.day
                AND closed.closed_on >= staged.day - {OWNER_WINDOW_DAYS}
            GROUP BY ALL
        ),
        company_record AS (
            SELECT days.day, count(closed.closed_on) AS closed,
                count(closed.closed_on) FILTER (WHERE closed.is_won) AS won
            FROM days LEFT JOIN closed ON closed.closed_on < days.day
                AND closed.closed_on >= days.day - {OWNER_WINDOW_DAYS}
            GROUP BY days.day
        ),
        first_customer_day AS (
            SELECT account_id, min(day) AS since FROM (
                SELECT account_id, closed_on AS day FROM deals JOIN closings
                    USING (opportunity_id) WHERE is_won
                UNION ALL
                SELECT account_id, first_order_date FROM intermediate.int_customer_first_orders
            ) GROUP BY account_id
        )
        SELECT
            staged.opportunity_id, staged.day, staged.created_date,
            coalesce(staged.stage_then, '(no history)') AS stage,
            staged.product_category,
            CASE WHEN staged.account_id IS NULL THEN '(no account)'
                WHEN first_customer_day.since < staged.day THEN 'existing' ELSE 'new' END
                AS customer,
            staged.day - coalesce(staged.stage_entered, staged.created_date) AS days_in_stage,
            staged.day - staged.created_date AS deal_age_days,
            CASE WHEN amounts.amount > 0 THEN ln(CAST(amounts.amount AS DOUBLE)) END
                AS log_amount,
            (owner_record.owner_won + {OWNER_PRIOR_DEALS}
                * CAST(company_record.won AS DOUBLE) / nullif(company_record.closed, 0))
                / (owner_record.owner_closed + {OWNER_PRIOR_DEALS}) AS owner_win_rate,
            staged.day = CAST(? AS DATE) AS is_today,
            -- Learned from days with a track record behind them: before the company had
            -- closed MIN_CLOSED_BEHIND deals, the owners' records say nothing yet.
            staged.day + {HORIZON_DAYS} <= CAST(? AS DATE)
                AND company_record.closed >= {MIN_CLOSED_BEHIND} AS labelled,
            coalesce(staged.is_won AND staged.closed_on <= staged.day + {HORIZON_DAYS}, false)
                AS won
        FROM staged
        JOIN amounts USING (opportunity_id, day)
        JOIN owner_record USING (opportunity_id, day)
        JOIN company_record USING (day)
        LEFT JOIN first_customer_day ON first_customer_day.account_id = staged.account_id
        ORDER BY staged.day, staged.opportunity_id
        """,
        [as_of, as_of, as_of, as_of, as_of],
    ).df()


@dataclass
class DealScoring:
    as_of: date
    today: pd.DataFrame  # the deals open on the as-of day
    trained: Trained
    seconds: float = 0.0


def _known_as_often(history: pd.DataFrame, today: pd.DataFrame, column: str) -> bool:
    """Whether a feature is known about as often on past days as today. An export that keeps
    only each deal's last version dates its amount at the deal's last change: on past days
    only deals that never changed again (stuck, never won) have one, and "amount known"
    would stand for "not won"."""
    past = history[column].notna().mean() if len(history) else 0.0
    now = today[column].notna().mean() if len(today) else 0.0
    return past >= 0.5 and abs(past - now) <= 0.25


def score_deals(conn: duckdb.DuckDBPyConnection, as_of: date) -> DealScoring:
    started = time.perf_counter()
    frame = deal_snapshots(conn, as_of)
    history = frame[~frame.is_today]
    today = frame[frame.is_today].reset_index(drop=True)
    labelled = history[history.labelled]
    numeric = NUMERIC
    notes = []
    if not _known_as_often(labelled, today, "log_amount"):
        numeric = tuple(c for c in NUMERIC if c != "log_amount")
        notes.append(f"amount not used: known on {labelled.log_amount.notna().mean():.0%} "
                     f"of the replayed days but {today.log_amount.notna().mean():.0%} of "
                     "today's open deals (the export keeps only each deal's last version)")
    periods = split_by_time(labelled, "created_date", "deal snapshots")
    purged = purge(periods)
    if (len(purged.train) >= MIN_ROWS_PER_PERIOD
            and purged.train.won.sum() >= MIN_POSITIVES_PER_PERIOD):
        periods = purged
    else:
        overlap = len(periods.train) - len(purged.train)
        notes.append(f"{overlap} of {len(periods.train)} training rows have outcome windows "
                     f"reaching the test period (from {periods.test_from}); the history is "
                     f"too short to leave them out with a {HORIZON_DAYS}-day horizon, so the "
                     "test metrics may be optimistic")
    trained = train_and_measure(today, periods, CATEGORICAL, numeric, "stage")
    trained.notes = notes + trained.notes
    return DealScoring(as_of, today, trained, time.perf_counter() - started)


def purge(periods: Periods) -> Periods:
    """Deals are held out by creation date, but a deal's rows run over months: the training
    rows whose outcome window reaches into the test period, left out, so the model never
    learns from outcomes seen there (score_deals keeps them, with a note, when too few rows
    would be left)."""
    train = periods.train
    keep = pd.to_datetime(train.day) + pd.Timedelta(days=HORIZON_DAYS) < pd.Timestamp(
        periods.test_from)
    return replace(periods, train=train[keep])


def store(conn: duckdb.DuckDBPyConnection, run_id: str, scoring: DealScoring) -> None:
    today, trained = scoring.today, scoring.trained
    tables = {
        "win_probabilities": pd.DataFrame({
            "run_id": run_id, "as_of_date": scoring.as_of,
            "opportunity_id": today.opportunity_id, "win_probability": trained.scores,
            "scored_by": trained.chosen, "top_factors": trained.top_factors(today),
            "scored_at": pd.Timestamp.now(tz="UTC").tz_localize(None)}),
        **model_tables(trained, run_id, MODEL, scoring.as_of, "created_date"),
    }
    with in_transaction(conn):
        write_run(conn, run_id, MODEL, tables)
