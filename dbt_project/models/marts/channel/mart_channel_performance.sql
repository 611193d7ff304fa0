-- Channel performance per month (METRICS.md §4, handbook ch. 4). Grain: month x channel.
-- Channel conflict: customers who bought through more than one channel in the month, and the
-- revenue involved (all of those customers' revenue in the month, in this channel).
with months as (
    select distinct month_start as month from {{ ref('dim_date') }} where is_past_or_today
),

channels as (
    select channel from {{ ref('dim_channel') }}
),

lines as (
    select * from {{ ref('fct_order_lines') }}
    where not is_cancelled and not is_orphan_line and order_date <= {{ as_of_date() }}
),

orders as (
    select order_id, channel from {{ ref('fct_orders') }}
),

customer_channels as (
    select order_month as month, account_id, count(distinct channel) as channels
    from lines
    group by order_month, account_id
),

revenue as (
    select
        lines.order_month as month,
        lines.channel,
        sum(lines.net_revenue_reporting) as net_revenue,
        sum(lines.cost_amount_reporting) as cost_amount,
        sum(lines.gross_margin_reporting) as gross_margin,
        min(case when lines.has_unit_cost then 1 else 0 end) = 1 as margin_is_complete,
        count(distinct lines.order_id) as orders,
        count(distinct lines.account_id) as customers,
        count(distinct case when customer_channels.channels > 1 then lines.account_id end)
            as conflict_customers,
        sum(case when customer_channels.channels > 1 then lines.net_revenue_reporting else 0 end)
            as conflict_revenue
    from lines
    inner join customer_channels
        on lines.order_month = customer_channels.month
        and lines.account_id = customer_channels.account_id
    group by lines.order_month, lines.channel
),

month_totals as (
    select month, sum(net_revenue) as total_revenue from revenue group by month
),

costs as (
    select period_month as month, channel, sum(cost) as channel_cost
    from {{ ref('stg_plan__channel_costs') }}
    group by period_month, channel
),

responses as (
    -- A response counts for its own channel, else for the channel of the order it is about.
    select
        cast({{ dbt.date_trunc('month', 'responses.submitted_date') }} as date) as month,
        coalesce(responses.channel, orders.channel) as channel,
        {{ survey_counts() }}
    from {{ ref('stg_survey__responses') }} as responses
    left join orders on responses.order_id = orders.order_id
    where responses.submitted_date <= {{ as_of_date() }}
    group by 1, 2
),

complaints as (
    select
        cast({{ dbt.date_trunc('month', 'complaints.opened_date') }} as date) as month,
        orders.channel,
        count(*) as complaints
    from {{ ref('stg_survey__complaints') }} as complaints
    left join orders on complaints.order_id = orders.order_id
    where complaints.opened_date <= {{ as_of_date() }}
    group by 1, 2
),

final as (
    select
        months.month,
        channels.channel,
        cast(coalesce(revenue.net_revenue, 0) as decimal(38, 12)) as net_revenue,
        cast(coalesce(revenue.orders, 0) as integer) as orders,
        cast(coalesce(revenue.customers, 0) as integer) as customers,
        cast(revenue.gross_margin as decimal(38, 12)) as gross_margin,
        coalesce(revenue.margin_is_complete, true) as margin_is_complete,
        cast(costs.channel_cost as decimal(38, 12)) as channel_cost,
        {{ safe_ratio('costs.channel_cost', 'revenue.net_revenue') }} as cost_to_revenue_ratio,
        {{ safe_ratio('revenue.net_revenue', 'month_totals.total_revenue') }} as revenue_share,
        cast(coalesce(responses.nps_responses, 0) as integer) as nps_responses,
        {{ nps('responses.promoters', 'responses.detractors', 'responses.nps_responses') }}
            as nps,
        cast(coalesce(responses.csat_responses, 0) as integer) as csat_responses,
        {{ csat('responses.csat_satisfied', 'responses.csat_responses') }} as csat,
        cast(coalesce(complaints.complaints, 0) as integer) as complaints,
        100 * {{ safe_ratio('coalesce(complaints.complaints, 0)', 'revenue.orders') }}
            as complaints_per_100_orders,
        cast(coalesce(revenue.conflict_customers, 0) as integer) as conflict_customers,
        cast(coalesce(revenue.conflict_revenue, 0) as decimal(38, 12)) as conflict_revenue
    from months
    cross join channels
    left join revenue on months.month = revenue.month and channels.channel = revenue.channel
    left join month_totals on months.month = month_totals.month
    left join costs on months.month = costs.month and channels.channel = costs.channel
    left join responses
        on months.month = responses.month and channels.channel = responses.channel
    left join complaints
        on months.month = complaints.month and channels.channel = complaints.channel
)

select * from final
order by month, channel
