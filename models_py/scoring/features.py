"""Lead features as known on each lead's scoring day, and the outcome to learn.

A lead is scored `window_days` after it arrived (or today, if that is sooner): its source and
campaign, its account's industry, size and region, the activities logged with that account
from its arrival to the scoring day, the days to the first of them, and its month of arrival.
The account counts only if it was known on the scoring day: CRMs often link a lead to an
account when it converts, so a lead converted later is scored as one without an account.
Nothing after the scoring day enters a feature (tests/test_scoring.py shifts every later row
and finds the features unchanged). The outcome, `won`, is whether the lead's deal was won
within `horizon_days` of its arrival; it is known (`labelled`) once that many days have
passed by the as-of day, and only labelled leads are learned from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

CATEGORICAL = ("source", "campaign", "industry", "size_segment", "region", "arrival_month")
NUMERIC = ("activities_in_window", "days_to_first_touch")


@dataclass(frozen=True)
class LeadWindow:
    as_of: date
    window_days: int = 14  # the lead's first days, whose activity is known when it is scored
    horizon_days: int = 90  # "won within N days of arrival"


def lead_frame(conn: duckdb.DuckDBPyConnection, window: LeadWindow) -> pd.DataFrame:
    """One row per lead that arrived by the as-of day, ordered by arrival then lead id."""
    return conn.execute(
        """
        WITH arrived AS (
            SELECT lead_id, created_date, source, campaign, account_id, opportunity_id,
                is_converted, converted_date,
                LEAST(created_date + CAST(? AS INTEGER), CAST(? AS DATE)) AS scoring_date
            FROM staging.stg_crm__leads
            WHERE created_date <= CAST(? AS DATE)
        ),
        -- A CRM often links a lead to its account only when it converts: the account (and
        -- the activities logged with it) is known on the scoring day only for a lead not
        -- converted, or converted by then.
        leads AS (
            SELECT * REPLACE (
                CASE WHEN NOT is_converted OR converted_date <= scoring_date
                    THEN account_id END AS account_id)
            FROM arrived
        ),
        touches AS (
            SELECT leads.lead_id, count(activities.activity_id) AS activities_in_window,
                min(activities.occurred_date) - leads.created_date AS days_to_first_touch
            FROM leads
            JOIN staging.stg_crm__activities AS activities
                ON activities.account_id = leads.account_id
                AND activities.occurred_date BETWEEN leads.created_date AND leads.scoring_date
            GROUP BY leads.lead_id, leads.created_date
        ),
        -- The lead's deal: the one it converted into, else one naming it.
        deals AS (
            SELECT opportunity_id, lead_id, is_won, close_date
            FROM staging.stg_crm__opportunities
            WHERE NOT is_deleted
        ),
        outcomes AS (
            SELECT leads.lead_id,
                bool_or(deals.is_won AND deals.close_date
                        <= leads.created_date + CAST(? AS INTEGER)) AS won
            FROM leads
            JOIN deals ON deals.opportunity_id = leads.opportunity_id
                OR deals.lead_id = leads.lead_id
            GROUP BY leads.lead_id
        )
        SELECT
            leads.lead_id, leads.created_date, leads.scoring_date,
            coalesce(leads.source, 'unknown') AS source,
            coalesce(leads.campaign, '(none)') AS campaign,
            coalesce(accounts.industry, '(none)') AS industry,
            coalesce(accounts.size_segment, '(none)') AS size_segment,
            coalesce(accounts.region, '(none)') AS region,
            strftime(leads.created_date, '%m') AS arrival_month,
            coalesce(touches.activities_in_window, 0) AS activities_in_window,
            touches.days_to_first_touch,
            leads.created_date + CAST(? AS INTEGER) <= CAST(? AS DATE) AS labelled,
            coalesce(outcomes.won, false) AS won
        FROM leads
        LEFT JOIN staging.stg_crm__accounts AS accounts ON accounts.account_id = leads.account_id
        LEFT JOIN touches ON touches.lead_id = leads.lead_id
        LEFT JOIN outcomes ON outcomes.lead_id = leads.lead_id
        ORDER BY leads.created_date, leads.lead_id
        """,
        [window.window_days, window.as_of, window.as_of, window.horizon_days,
         window.horizon_days, window.as_of],
    ).df()
