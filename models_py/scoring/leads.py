"""Score every lead, measure the model on the newest leads, and store it all
(training.py: the split by arrival date, the penalty, the calibration, the baselines)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from ingest.warehouse import in_transaction
from models_py.describe import describe_tables
from models_py.scoring.features import CATEGORICAL, NUMERIC, LeadWindow, lead_frame
from models_py.scoring.store import write_run
from models_py.scoring.training import Trained, model_tables, split_by_time, train_and_measure

MODEL = "lead_score"


@dataclass
class LeadScoring:
    as_of: date
    window: LeadWindow
    frame: pd.DataFrame
    trained: Trained
    seconds: float = 0.0


def score_leads(conn: duckdb.DuckDBPyConnection, as_of: date,
                window: LeadWindow | None = None) -> LeadScoring:
    started = time.perf_counter()
    window = window or LeadWindow(as_of)
    frame = lead_frame(conn, window)
    periods = split_by_time(frame[frame.labelled], "created_date", "leads")
    trained = train_and_measure(frame, periods, CATEGORICAL, NUMERIC, "source")
    return LeadScoring(as_of, window, frame, trained, time.perf_counter() - started)


def deciles(score: np.ndarray) -> np.ndarray:
    """1 = the best tenth: the leads to follow first (ties broken by position)."""
    rank = pd.Series(-score).rank(method="first").to_numpy()
    return np.ceil(rank * 10 / len(score)).astype(int)


def store(conn: duckdb.DuckDBPyConnection, run_id: str, scoring: LeadScoring) -> None:
    """Write the run's scores, metrics, factors and reliability bins, and rebuild
    marts.mart_lead_scores and marts.mart_lead_funnel_by_score from it, in one transaction."""
    frame, trained = scoring.frame, scoring.trained
    scores = pd.DataFrame({
        "run_id": run_id, "as_of_date": scoring.as_of, "lead_id": frame.lead_id,
        "score": trained.scores, "decile": deciles(trained.scores),
        "scored_by": trained.chosen, "top_factors": trained.top_factors(frame),
        "period": trained.periods.of(frame.created_date, frame.labelled),
        "won_within_horizon": frame.won.where(frame.labelled, None),
    })
    tables = {"lead_scores": scores, **model_tables(
        trained, run_id, MODEL, scoring.as_of, "created_date",
        horizon_days=scoring.window.horizon_days, window_days=scoring.window.window_days)}
    with in_transaction(conn):
        write_run(conn, run_id, MODEL, tables)
        _rebuild_marts(conn, run_id)


def _rebuild_marts(conn: duckdb.DuckDBPyConnection, run_id: str) -> None:
    conn.execute("""
        CREATE OR REPLACE TABLE marts.mart_lead_scores AS
        SELECT leads.lead_id, leads.created_date, leads.source, leads.campaign,
            leads.owner_rep_id, leads.status, leads.is_converted,
            scores.score, scores.decile, scores.top_factors, scores.scored_by,
            scores.as_of_date AS scored_as_of, scores.run_id
        FROM scoring.lead_scores AS scores
        JOIN staging.stg_crm__leads AS leads USING (lead_id)
        WHERE scores.run_id = ?
        ORDER BY scores.decile, scores.score DESC, leads.lead_id""", [run_id])
    conn.execute("""
        CREATE OR REPLACE TABLE marts.mart_lead_funnel_by_score AS
        SELECT CAST(date_trunc('month', leads.created_date) AS DATE) AS month,
            coalesce(leads.source, 'unknown') AS lead_source, scores.decile AS score_decile,
            CAST(count(*) AS INTEGER) AS leads_created,
            CAST(count(*) FILTER (WHERE leads.is_qualified) AS INTEGER) AS leads_qualified,
            CAST(count(*) FILTER (WHERE leads.is_converted) AS INTEGER) AS leads_converted,
            CAST(count(*) FILTER (WHERE scores.won_within_horizon) AS INTEGER)
                AS leads_won_within_horizon,
            CAST(count(*) FILTER (WHERE scores.won_within_horizon IS NOT NULL) AS INTEGER)
                AS leads_with_known_outcome,
            avg(scores.score) AS mean_score
        FROM scoring.lead_scores AS scores
        JOIN staging.stg_crm__leads AS leads USING (lead_id)
        WHERE scores.run_id = ?
        GROUP BY ALL
        ORDER BY month, lead_source, score_decile""", [run_id])
    describe_marts(conn)


def describe_marts(conn: duckdb.DuckDBPyConnection) -> None:
    describe_tables(conn, {
        "marts.mart_lead_scores": "Every lead with its score from the newest scoring run "
        "[lead]: the chance it becomes a won deal within the horizon, its decile (1 = the "
        "best tenth, follow first) and the factors that move it most.",
        "marts.mart_lead_funnel_by_score": "The lead funnel by score decile [arrival month x "
        "lead source x score decile]: created, qualified, converted, won within the horizon "
        "(of the leads whose horizon has passed)."})
