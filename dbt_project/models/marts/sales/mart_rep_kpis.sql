-- Rep KPIs per month (handbook ch. 9.1). Grain: month x rep.
-- Every rep appears for every month they were employed between the first month of data and
-- the as-of month, with zeros rather than gaps; months with activity outside employment also
-- appear, so no closed deal or revenue is lost.
with reps as (
    select * from {{ ref('stg_crm__reps') }}
),

opportunities as (
    select * from {{ ref('int_opportunities') }}
),

order_lines as (
    select * from {{ ref('int_order_lines') }}
),

quotas as (
    select * from {{ ref('stg_plan__quotas') }}
),

fx as (
    select * from {{ ref('int_fx_rates_daily') }}
),

months as (
    select distinct month_start
    from {{ ref('int_days') }}
    where month_start <= {{ as_of_date() }}
        and month_start >= (
            select min(first_day) from (
                select min(order_month) as first_day from order_lines
                union all
                select min(cast({{ dbt.date_trunc('month', 'created_date') }} as date))
                from opportunities
            ) as firsts
        )
),

closed_deals as (
    select
        owner_rep_id as rep_id,
        close_month as month,
        sum(case when is_won then 1 else 0 end) as won_count,
        sum(case when is_lost then 1 else 0 end) as lost_count,
        sum(case when is_won then amount_reporting else 0 end) as bookings_amount
    from opportunities
    where is_win_rate_eligible
        and close_date <= {{ as_of_date() }}
    group by owner_rep_id, close_month
),

revenue as (
    select
        rep_id,
        order_month as month,
        sum(net_revenue_reporting) as net_revenue
    from order_lines
    where rep_id is not null
        and order_date <= {{ as_of_date() }}
    group by rep_id, order_month
),

quota_amounts as (
    -- Quotas in another currency convert at the rate of the period's first day.
    select
        quotas.rep_id,
        quotas.period_month as month,
        sum(cast(quotas.quota_amount as decimal(38, 4)) * fx.rate_to_reporting) as quota_amount
    from quotas
    left join fx
        on quotas.currency = fx.currency
        and quotas.period_month = fx.date_day
    group by quotas.rep_id, quotas.period_month
),

employed as (
    select
        months.month_start as month,
        reps.rep_id
    from reps
    cross join months
    where (reps.hire_date is null
            or reps.hire_date <= {{ dbt.last_day('months.month_start', 'month') }})
        and (reps.end_date is null or reps.end_date >= months.month_start)
),

rep_months as (
    select rep_id, month from employed
    union
    select rep_id, month from closed_deals where month in (select month_start from months)
    union
    select rep_id, month from revenue where month in (select month_start from months)
),

final as (
    select
        rep_months.month,
        rep_months.rep_id,
        reps.rep_name,
        reps.role,
        reps.manager_id,
        reps.region,
        cast(coalesce(closed_deals.won_count, 0) as integer) as won_count,
        cast(coalesce(closed_deals.lost_count, 0) as integer) as lost_count,
        case
            when coalesce(closed_deals.won_count, 0) + coalesce(closed_deals.lost_count, 0) > 0
                then cast(closed_deals.won_count as double)
                    / (closed_deals.won_count + closed_deals.lost_count)
        end as win_rate,
        cast(coalesce(closed_deals.bookings_amount, 0) as decimal(38, 12)) as bookings_amount,
        cast(coalesce(revenue.net_revenue, 0) as decimal(38, 12)) as net_revenue,
        cast(quota_amounts.quota_amount as decimal(38, 12)) as quota_amount,
        case
            when quota_amounts.quota_amount > 0
                then cast(coalesce(revenue.net_revenue, 0) as double)
                    / cast(quota_amounts.quota_amount as double)
        end as attainment
    from rep_months
    left join reps
        on rep_months.rep_id = reps.rep_id
    left join closed_deals
        on rep_months.rep_id = closed_deals.rep_id
        and rep_months.month = closed_deals.month
    left join revenue
        on rep_months.rep_id = revenue.rep_id
        and rep_months.month = revenue.month
    left join quota_amounts
        on rep_months.rep_id = quota_amounts.rep_id
        and rep_months.month = quota_amounts.month
)

select * from final
order by month, rep_id
