-- Customer value (METRICS.md §5, handbook ch. 8). Grain: one row per customer (account).
-- Classification, order history, RFM quintiles and segment, historical and a simple predicted
-- CLV, gross margin, cost-to-serve (channel costs allocated by revenue share in whole cents,
-- largest remainder: int_cost_to_serve),
-- satisfaction, complaints, and a churn-risk flag with its reason.
with customers as (
    select * from {{ ref('dim_customer') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
    where not is_cancelled and order_date <= {{ as_of_date() }}
),

as_of as (
    select {{ as_of_date() }} as as_of_date
),

totals as (
    select
        account_id,
        count(*) as orders,
        sum(net_revenue_reporting) as net_revenue,
        sum(gross_margin_reporting) as gross_margin,
        min(case when has_unit_cost then 1 else 0 end) = 1 as margin_is_complete,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        sum(case when order_date > {{ dbt.dateadd('day', -90, as_of_date()) }}
            then net_revenue_reporting else 0 end) as revenue_last_90_days,
        sum(case when order_date > {{ dbt.dateadd('day', -180, as_of_date()) }}
            and order_date <= {{ dbt.dateadd('day', -90, as_of_date()) }}
            then net_revenue_reporting else 0 end) as revenue_previous_90_days
    from orders
    group by account_id
),

gaps as (
    select account_id, {{ median('gap_days') }} as median_gap_days
    from (
        select
            account_id,
            {{ dbt.datediff('lag(order_date) over (partition by account_id order by order_date, order_id)', 'order_date', 'day') }}
                as gap_days
        from orders
    ) as ordered
    where gap_days is not null
    group by account_id
),

cost_to_serve as (
    select account_id, sum(cost_to_serve) as cost_to_serve
    from {{ ref('int_cost_to_serve') }}
    group by account_id
),

surveys as (
    select
        account_id,
        {{ survey_counts() }},
        max(case when submitted_date > {{ dbt.dateadd('day', -90, as_of_date()) }}
            and ((survey_type = 'nps' and score <= 6) or (survey_type = 'csat' and score <= 2))
            then 1 else 0 end) = 1 as recent_detractor
    from {{ ref('stg_survey__responses') }}
    where submitted_date <= {{ as_of_date() }}
    group by account_id
),

complaints as (
    select
        account_id,
        count(*) as complaints,
        sum(case when resolved_at is null then 1 else 0 end) as open_complaints
    from {{ ref('stg_survey__complaints') }}
    where opened_date <= {{ as_of_date() }}
    group by account_id
),

measured as (
    select
        customers.account_id,
        customers.account_name,
        customers.region,
        customers.country,
        customers.industry,
        customers.size_segment,
        customers.owner_rep_id,
        totals.first_order_date,
        totals.last_order_date,
        cast(coalesce(totals.orders, 0) as integer) as orders,
        cast(coalesce(totals.net_revenue, 0) as decimal(38, 12)) as net_revenue,
        {{ decimal_ratio('totals.net_revenue', 'totals.orders') }} as average_order_value,
        greatest({{ calendar_months_between('totals.first_order_date', 'as_of.as_of_date') }}, 0) + 1
            as tenure_months,
        {{ dbt.datediff('totals.last_order_date', 'as_of.as_of_date', 'day') }} as recency_days,
        case when totals.margin_is_complete then cast(totals.gross_margin as decimal(38, 12)) end
            as gross_margin,
        cost_to_serve.cost_to_serve,
        gaps.median_gap_days,
        totals.revenue_last_90_days,
        totals.revenue_previous_90_days,
        cast(coalesce(surveys.nps_responses, 0) as integer) as nps_responses,
        {{ nps('surveys.promoters', 'surveys.detractors', 'surveys.nps_responses') }} as nps,
        cast(coalesce(surveys.csat_responses, 0) as integer) as csat_responses,
        {{ csat('surveys.csat_satisfied', 'surveys.csat_responses') }} as csat,
        coalesce(surveys.recent_detractor, false) as has_recent_detractor_score,
        cast(coalesce(complaints.complaints, 0) as integer) as complaints,
        cast(coalesce(complaints.open_complaints, 0) as integer) as open_complaints,
        customers.is_unknown_account,
        totals.account_id is not null as is_customer
    from customers
    cross join as_of
    left join totals on customers.account_id = totals.account_id
    left join gaps on customers.account_id = gaps.account_id
    left join cost_to_serve on customers.account_id = cost_to_serve.account_id
    left join surveys on customers.account_id = surveys.account_id
    left join complaints on customers.account_id = complaints.account_id
),

scored as (
    select
        *,
        case when is_customer then 6 - ntile(5) over (
            partition by is_customer order by recency_days, account_id) end as recency_score,
        case when is_customer then ntile(5) over (
            partition by is_customer order by orders, account_id) end as frequency_score,
        case when is_customer then ntile(5) over (
            partition by is_customer order by net_revenue, account_id) end as monetary_score
    from measured
),

risk as (
    select
        *,
        is_customer and recency_days > 2 * coalesce(median_gap_days, 90) as is_overdue,
        is_customer and revenue_previous_90_days > 0
            and revenue_last_90_days * 2 < revenue_previous_90_days as is_declining
    from scored
),

final as (
    select
        account_id,
        account_name,
        region,
        country,
        industry,
        size_segment,
        owner_rep_id,
        first_order_date,
        last_order_date,
        orders,
        net_revenue,
        average_order_value,
        cast(tenure_months as integer) as tenure_months,
        {{ safe_ratio('orders', 'tenure_months') }} as orders_per_month,
        cast(recency_days as integer) as recency_days,
        cast(recency_score as integer) as recency_score,
        cast(frequency_score as integer) as frequency_score,
        cast(monetary_score as integer) as monetary_score,
        case
            when not is_customer then 'prospect'
            when recency_days <= 90 and orders = 1 then 'new'
            when recency_score >= 4 and frequency_score >= 4 then 'champions'
            when frequency_score >= 4 then 'loyal'
            when recency_score <= 2 and frequency_score >= 3 then 'at_risk'
            when recency_score <= 2 then 'hibernating'
            when recency_score >= 3 and frequency_score >= 2 then 'potential_loyalists'
            else 'needs_attention'
        end as rfm_segment,
        net_revenue as historical_clv_revenue,
        gross_margin as historical_clv_margin,
        -- A simple forecast: the customer's monthly revenue run rate over 12 months, halved
        -- when the customer shows a churn risk.
        {{ decimal_ratio('net_revenue * 12 * case when is_overdue or is_declining '
            ~ 'or has_recent_detractor_score or open_complaints > 0 then 0.5 else 1 end',
            'tenure_months') }} as predicted_clv_12m_revenue,
        cost_to_serve,
        nps_responses,
        nps,
        csat_responses,
        csat,
        complaints,
        open_complaints,
        is_overdue or is_declining or has_recent_detractor_score or open_complaints > 0
            as is_churn_risk,
        case
            when is_overdue then 'no order for ' || cast(recency_days as string)
                || ' days, over twice the usual gap'
            when is_declining then 'revenue in the last 90 days under half of the 90 before'
            when has_recent_detractor_score then 'a detractor score in the last 90 days'
            when open_complaints > 0 then 'an open complaint'
        end as churn_risk_reason,
        is_customer,
        is_unknown_account
    from risk
)

select * from final
order by account_id
