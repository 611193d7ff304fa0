{{ config(meta={"dagster": {"ref": {"name": "mart_rep_kpis"}}}) }}
-- Σ net revenue per month is the same in the order-line fact, the rep KPIs (and their manager
-- and region roll-ups), the reps' category split, the channel mart, the daily mart and the
-- returns mart.
-- Returns the months that differ.
with months as (
    select distinct month_start as month from {{ ref('dim_date') }} where is_past_or_today
),

facts as (
    select order_month as month, sum(net_revenue_reporting) as revenue
    from {{ ref('fct_order_lines') }}
    where not is_cancelled and not is_orphan_line and order_date <= {{ as_of_date() }}
    group by order_month
),

reps as (select month, sum(net_revenue) as revenue from {{ ref('mart_rep_kpis') }} group by month),
managers as (select month, sum(net_revenue) as revenue from {{ ref('mart_manager_kpis') }} group by month),
regions as (select month, sum(net_revenue) as revenue from {{ ref('mart_region_kpis') }} group by month),
channels as (select month, sum(net_revenue) as revenue from {{ ref('mart_channel_performance') }} group by month),
categories as (select month, sum(net_revenue) as revenue from {{ ref('mart_rep_category_revenue') }} group by month),
returns as (select month, sum(net_revenue) as revenue from {{ ref('mart_returns') }} group by month),
daily as (
    select cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month, sum(net_revenue) as revenue
    from {{ ref('mart_sales_daily') }} group by 1
)

select
    months.month,
    coalesce(facts.revenue, 0) as facts,
    coalesce(reps.revenue, 0) as reps,
    coalesce(managers.revenue, 0) as managers,
    coalesce(regions.revenue, 0) as regions,
    coalesce(channels.revenue, 0) as channels,
    coalesce(categories.revenue, 0) as categories,
    coalesce(daily.revenue, 0) as daily,
    coalesce(returns.revenue, 0) as returns
from months
left join facts on months.month = facts.month
left join reps on months.month = reps.month
left join managers on months.month = managers.month
left join regions on months.month = regions.month
left join channels on months.month = channels.month
left join categories on months.month = categories.month
left join daily on months.month = daily.month
left join returns on months.month = returns.month
where coalesce(facts.revenue, 0) <> coalesce(reps.revenue, 0)
    or coalesce(facts.revenue, 0) <> coalesce(managers.revenue, 0)
    or coalesce(facts.revenue, 0) <> coalesce(regions.revenue, 0)
    or coalesce(facts.revenue, 0) <> coalesce(channels.revenue, 0)
    or coalesce(facts.revenue, 0) <> coalesce(categories.revenue, 0)
    or coalesce(facts.revenue, 0) <> coalesce(daily.revenue, 0)
    or coalesce(facts.revenue, 0) <> coalesce(returns.revenue, 0)
