-- Daily sales KPIs (METRICS.md §9). Grain: one row per day from the first day of data to the
-- as-of date; days without activity are zeros.
with days as (
    select date_day from {{ ref('dim_date') }} where is_past_or_today
),

revenue as (
    select
        order_date as date_day,
        sum(net_revenue_reporting) as net_revenue,
        count(distinct order_id) as orders,
        count(distinct case when is_new_customer_order then account_id end) as new_customers
    from {{ ref('fct_order_lines') }}
    where not is_cancelled
    group by order_date
),

bookings as (
    select
        close_date as date_day,
        sum(amount_reporting) as bookings_amount,
        count(*) as deals_won
    from {{ ref('fct_opportunities') }}
    where is_won and is_win_rate_eligible
    group by close_date
),

pipeline as (
    select
        created_date as date_day,
        count(*) as opportunities_created,
        sum(coalesce(amount_reporting, 0)) as pipeline_created_amount
    from {{ ref('fct_opportunities') }}
    where not is_deleted
    group by created_date
),

final as (
    select
        days.date_day,
        cast(coalesce(bookings.bookings_amount, 0) as decimal(38, 12)) as bookings_amount,
        cast(coalesce(bookings.deals_won, 0) as integer) as deals_won,
        cast(coalesce(revenue.net_revenue, 0) as decimal(38, 12)) as net_revenue,
        cast(coalesce(revenue.orders, 0) as integer) as orders,
        cast(coalesce(revenue.new_customers, 0) as integer) as new_customers,
        cast(coalesce(pipeline.opportunities_created, 0) as integer) as opportunities_created,
        cast(coalesce(pipeline.pipeline_created_amount, 0) as decimal(38, 12))
            as pipeline_created_amount
    from days
    left join revenue on days.date_day = revenue.date_day
    left join bookings on days.date_day = bookings.date_day
    left join pipeline on days.date_day = pipeline.date_day
)

select * from final
order by date_day
