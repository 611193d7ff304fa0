{{ config(meta={"dagster": {"ref": {"name": "mart_rep_kpis"}}}) }}
-- Σ bookings per month in the rep KPIs (and roll-ups) and the daily mart = Σ amounts of the
-- deals won (closed, not deleted) that month. Returns the months that differ.
with months as (
    select distinct month_start as month from {{ ref('dim_date') }} where is_past_or_today
),

won as (
    select close_month as month, sum(amount_reporting) as bookings
    from {{ ref('fct_opportunities') }}
    where is_won and is_win_rate_eligible and close_date <= {{ as_of_date() }}
    group by close_month
),

reps as (select month, sum(bookings_amount) as bookings from {{ ref('mart_rep_kpis') }} group by month),
regions as (select month, sum(bookings_amount) as bookings from {{ ref('mart_region_kpis') }} group by month),
daily as (
    select cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month, sum(bookings_amount) as bookings
    from {{ ref('mart_sales_daily') }} group by 1
)

select months.month, won.bookings, reps.bookings, regions.bookings, daily.bookings
from months
left join won on months.month = won.month
left join reps on months.month = reps.month
left join regions on months.month = regions.month
left join daily on months.month = daily.month
where coalesce(won.bookings, 0) <> coalesce(reps.bookings, 0)
    or coalesce(won.bookings, 0) <> coalesce(regions.bookings, 0)
    or coalesce(won.bookings, 0) <> coalesce(daily.bookings, 0)
