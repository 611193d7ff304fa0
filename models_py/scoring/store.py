"""The scoring schema: every run's scores, metrics, factors and reliability bins."""

from __future__ import annotations

import duckdb
import pandas as pd

from models_py.describe import describe_tables

DDL = (
    "CREATE SCHEMA IF NOT EXISTS scoring",
    """CREATE TABLE IF NOT EXISTS scoring.lead_scores (
        run_id VARCHAR NOT NULL, as_of_date DATE NOT NULL, lead_id VARCHAR NOT NULL,
        score DOUBLE NOT NULL, decile INTEGER NOT NULL, scored_by VARCHAR NOT NULL,
        top_factors VARCHAR, period VARCHAR NOT NULL, won_within_horizon BOOLEAN)""",
    """CREATE TABLE IF NOT EXISTS scoring.win_probabilities (
        run_id VARCHAR NOT NULL, as_of_date DATE NOT NULL, opportunity_id VARCHAR NOT NULL,
        win_probability DOUBLE NOT NULL, scored_by VARCHAR NOT NULL, top_factors VARCHAR,
        -- When the run scored: fct_opportunities shows the newest run's probabilities.
        scored_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS scoring.model_metrics (
        run_id VARCHAR NOT NULL, model VARCHAR NOT NULL, candidate VARCHAR NOT NULL,
        chosen BOOLEAN NOT NULL, as_of_date DATE NOT NULL, horizon_days INTEGER,
        window_days INTEGER, train_from DATE, calibration_from DATE, test_from DATE,
        test_to DATE, train_rows INTEGER, calibration_rows INTEGER, test_rows INTEGER,
        test_positives INTEGER, auc DOUBLE, brier DOUBLE, log_loss DOUBLE, alpha DOUBLE,
        note VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS scoring.model_factors (
        run_id VARCHAR NOT NULL, model VARCHAR NOT NULL, factor VARCHAR NOT NULL,
        level VARCHAR, reference VARCHAR, coefficient DOUBLE, odds_ratio DOUBLE,
        ci_low DOUBLE, ci_high DOUBLE)""",
    """CREATE TABLE IF NOT EXISTS scoring.reliability (
        run_id VARCHAR NOT NULL, model VARCHAR NOT NULL, candidate VARCHAR NOT NULL,
        bin INTEGER NOT NULL, leads INTEGER, mean_predicted DOUBLE, observed_rate DOUBLE)""",
)

# Tables both models write, one model's rows at a time.
SHARED = ("model_metrics", "model_factors", "reliability")

DESCRIPTIONS = {
    "scoring.lead_scores": "Every lead's chance to be won within the horizon [run x lead], "
    "its decile (1 = best) and top factors; period says whether it trained, calibrated or "
    "tested the model, or has no known outcome yet.",
    "scoring.win_probabilities": "Every open opportunity's chance to be won [run x "
    "opportunity], from the deal model (or the stage-only rates when the model did not beat "
    "them).",
    "scoring.model_metrics": "How each candidate (model, one-factor baseline, base rate) did "
    "on the test period [run x model x candidate]: AUC, Brier score, log loss; the split "
    "dates and the penalty.",
    "scoring.model_factors": "Each factor's odds ratio with its 95 % interval [run x model x "
    "factor level], per level against the reference level, per unit for numbers.",
    "scoring.reliability": "Mean predicted probability against the observed rate per tenth "
    "of the test rows [run x model x candidate x bin].",
}


def write_run(conn: duckdb.DuckDBPyConnection, run_id: str, model: str,
              tables: dict[str, pd.DataFrame]) -> None:
    """Replace this run's rows of `model` in each scoring table with `tables`' frames. The
    caller owns the transaction (ingest.warehouse.in_transaction)."""
    for statement in DDL:
        conn.execute(statement)
    describe_tables(conn, DESCRIPTIONS)
    for table, frame in tables.items():
        if table in SHARED:
            conn.execute(f"DELETE FROM scoring.{table} WHERE run_id = ? AND model = ?",
                         [run_id, model])
        else:
            conn.execute(f"DELETE FROM scoring.{table} WHERE run_id = ?", [run_id])
        rows = frame  # noqa: F841  (read by DuckDB's scan of Python variables)
        conn.execute(f"INSERT INTO scoring.{table} BY NAME SELECT * FROM rows")
