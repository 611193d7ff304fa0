"""The marts' Great Expectations suites catch what a BI user would call wrong."""

from __future__ import annotations

import duckdb

from models_py.mart_quality import SUITES, validate_marts


def test_impossible_funnel_and_rates_fail_the_suite():
    conn = duckdb.connect()
    conn.execute("CREATE SCHEMA marts")
    conn.execute("""
        CREATE TABLE marts.mart_lead_funnel AS SELECT * FROM (VALUES
            (10, 5, 4, 2, 0.5, 0.8, 0.5, 0.2),      -- consistent
            (10, 5, 4, 6, 0.5, 0.8, 1.5, 0.6)       -- more won than converted; rate above 1
        ) AS t(leads_created, leads_qualified, leads_converted, leads_won,
               qualification_rate, conversion_rate, converted_to_won_rate, lead_to_win_rate)
    """)
    [outcome] = validate_marts(conn, {"mart_lead_funnel": SUITES["mart_lead_funnel"]})
    assert outcome.rows == 2 and not outcome.passed
    text = "\n".join(outcome.failures)
    assert "expect_column_values_to_be_between" in text and "converted_to_won_rate" in text
    assert "expect_column_pair_values_a_to_be_greater_than_b" in text and "leads_won" in text


def test_a_consistent_mart_passes():
    conn = duckdb.connect()
    conn.execute("CREATE SCHEMA marts")
    conn.execute("CREATE TABLE marts.mart_customer_retention AS SELECT * FROM (VALUES "
                 "(100, 100, 1.0), (100, 40, 0.4), (100, 0, NULL)) "
                 "AS t(cohort_customers, active_customers, retention_rate)")
    [outcome] = validate_marts(
        conn, {"mart_customer_retention": SUITES["mart_customer_retention"]})
    assert outcome.passed, outcome.failures
    assert outcome.expectations == 2
