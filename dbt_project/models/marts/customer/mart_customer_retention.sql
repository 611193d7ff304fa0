-- Cohort retention (METRICS.md §5). Grain: first-order month x month offset (0 = the first
-- month). A customer is active in a month with a non-cancelled order in it.
with orders as (
    select distinct account_id, order_month
    from {{ ref('fct_orders') }}
    where not is_cancelled and order_date <= {{ as_of_date() }}
),

revenue as (
    select account_id, order_month, sum(net_revenue_reporting) as net_revenue
    from {{ ref('fct_orders') }}
    where not is_cancelled and order_date <= {{ as_of_date() }}
    group by account_id, order_month
),

cohorts as (
    select account_id, min(order_month) as cohort_month from orders group by account_id
),

cohort_sizes as (
    select cohort_month, count(*) as cohort_customers from cohorts group by cohort_month
),

offsets as (
    -- Every offset from 0 to the as-of month, so months with no returning customer show 0.
    select
        cohort_sizes.cohort_month,
        months.month_start as activity_month,
        {{ calendar_months_between('cohort_sizes.cohort_month', 'months.month_start') }}
            as month_offset
    from cohort_sizes
    inner join (select distinct month_start from {{ ref('dim_date') }} where is_past_or_today)
        as months
        on months.month_start >= cohort_sizes.cohort_month
),

activity as (
    select
        cohorts.cohort_month,
        orders.order_month as activity_month,
        count(distinct orders.account_id) as active_customers,
        sum(revenue.net_revenue) as net_revenue
    from orders
    inner join cohorts on orders.account_id = cohorts.account_id
    inner join revenue
        on orders.account_id = revenue.account_id and orders.order_month = revenue.order_month
    group by cohorts.cohort_month, orders.order_month
),

final as (
    select
        offsets.cohort_month,
        cast(offsets.month_offset as integer) as month_offset,
        offsets.activity_month,
        cast(cohort_sizes.cohort_customers as integer) as cohort_customers,
        cast(coalesce(activity.active_customers, 0) as integer) as active_customers,
        {{ safe_ratio('coalesce(activity.active_customers, 0)', 'cohort_sizes.cohort_customers') }}
            as retention_rate,
        cast(coalesce(activity.net_revenue, 0) as decimal(38, 12)) as net_revenue
    from offsets
    inner join cohort_sizes on offsets.cohort_month = cohort_sizes.cohort_month
    left join activity
        on offsets.cohort_month = activity.cohort_month
        and offsets.activity_month = activity.activity_month
)

select * from final
order by cohort_month, month_offset
