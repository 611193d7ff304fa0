-- The rep KPIs (METRICS.md §7) of every node per month: each rep, each manager (the team of
-- the reps reporting to them) and each region, with the hierarchy as it stood in that month
-- (int_rep_months). Grain: level x node x month. Every figure is computed from the node's own
-- events (int_kpi_events), never averaged from its reps' figures, so a manager's median sales
-- cycle is the median of the team's deals and a customer buying from two reps of one team is
-- one customer of the team. The three KPI marts read their level from here.
-- Every node with an employed rep in a month has a row (zeros, not gaps), as has any node with
-- activity in it; events of no (known) rep, manager or region go to '(unassigned)'.
with rep_months as (
    select * from {{ ref('int_rep_months') }}
),

levels as (
    select 'rep' as level
    union all select 'manager'
    union all select 'region'
),

events as (
    -- Each event once per level, at the node it belongs to that month.
    select
        levels.level,
        case levels.level
            when 'rep' then events.rep_id
            when 'manager' then coalesce(rep_months.manager_id, '(unassigned)')
            else coalesce(rep_months.region, '(unassigned)')
        end as node,
        events.*
    from {{ ref('int_kpi_events') }} as events
    cross join levels
    left join rep_months
        on events.rep_id = rep_months.rep_id and events.month = rep_months.month
),

revenue as (
    select
        level,
        node,
        month,
        sum(amount) as net_revenue,
        sum(case when is_new_customer_revenue then amount else 0 end) as net_revenue_new_customers,
        count(distinct order_id) as orders,
        count(distinct account_id) as active_customers,
        count(distinct case when is_new_customer_order then account_id end) as new_customers
    from events
    where event_type = 'order_line'
    group by level, node, month
),

customer_months as (
    select level, node, month, account_id, count(distinct product_category) as categories
    from events
    where event_type = 'order_line'
    group by level, node, month, account_id
),

cross_sell as (
    select
        level,
        node,
        month,
        {{ safe_ratio('sum(case when categories >= 2 then 1 else 0 end)', 'count(*)') }}
            as cross_sell_rate
    from customer_months
    group by level, node, month
),

previous_customers as (
    -- Customers active with the node in a month, counted for the month after it, and those of
    -- them active with the node again then (retention).
    select
        previous.level,
        previous.node,
        cast({{ dbt.dateadd('month', 1, 'previous.month') }} as date) as month,
        count(*) as customers_previous_month,
        count(again.account_id) as customers_retained
    from customer_months as previous
    left join customer_months as again
        on previous.level = again.level
        and previous.node = again.node
        and previous.account_id = again.account_id
        and again.month = cast({{ dbt.dateadd('month', 1, 'previous.month') }} as date)
    group by 1, 2, 3
),

closed as (
    select
        level,
        node,
        month,
        sum(case when is_won then 1 else 0 end) as won_count,
        sum(case when is_lost then 1 else 0 end) as lost_count,
        sum(case when is_won then amount else 0 end) as bookings_amount,
        sum(case when is_lost then coalesce(amount, 0) else 0 end) as lost_amount,
        {{ median('case when is_won then sales_cycle_days end') }} as median_sales_cycle_days
    from events
    where event_type = 'closed_deal'
    group by level, node, month
),

activity as (
    select
        level,
        node,
        month,
        sum(case when event_type = 'created_deal' then 1 else 0 end) as opportunities_created,
        sum(case when event_type = 'created_deal' then amount else 0 end)
            as pipeline_created_amount,
        sum(case when event_type = 'lead' then 1 else 0 end) as leads_created,
        sum(case when event_type = 'lead' and is_converted then 1 else 0 end) as leads_converted,
        sum(case when event_type = 'activity' then 1 else 0 end) as activities,
        sum(case when event_type = 'activity' and is_visit then 1 else 0 end) as customer_visits,
        sum(case when event_type = 'complaint' then 1 else 0 end) as complaints,
        sum(case when event_type = 'quota' then 1 else 0 end) as quotas,
        sum(case when event_type = 'quota' then amount end) as quota_amount
    from events
    where event_type in ('created_deal', 'lead', 'activity', 'complaint', 'quota')
    group by level, node, month
),

surveys as (
    select level, node, month, {{ survey_counts() }}
    from events
    where event_type = 'response'
    group by level, node, month
),

spine as (
    -- Every node with an employed rep in the month, plus any node with an event in it.
    select distinct levels.level,
        case levels.level
            when 'rep' then rep_months.rep_id
            when 'manager' then rep_months.manager_id
            else rep_months.region
        end as node,
        rep_months.month
    from rep_months
    cross join levels
    where rep_months.is_employed
    union
    select level, node, month from events
),

bounded as (
    select spine.* from spine
    where spine.node is not null
        and spine.month >= (select min(month_start) from {{ ref('dim_date') }})
        and spine.month <= (select as_of_date from {{ ref('int_as_of_date') }})
),

final as (
    select
        bounded.level,
        bounded.node,
        bounded.month,
        cast(coalesce(revenue.net_revenue, 0) as decimal(38, 12)) as net_revenue,
        cast(coalesce(revenue.net_revenue_new_customers, 0) as decimal(38, 12))
            as net_revenue_new_customers,
        cast(coalesce(revenue.net_revenue, 0) - coalesce(revenue.net_revenue_new_customers, 0)
            as decimal(38, 12)) as net_revenue_existing_customers,
        cast(coalesce(revenue.orders, 0) as integer) as orders,
        cast(coalesce(revenue.active_customers, 0) as integer) as active_customers,
        cast(coalesce(revenue.new_customers, 0) as integer) as new_customers,
        cast(case when activity.quotas > 0 then activity.quota_amount end as decimal(38, 12))
            as quota_amount,
        {{ safe_ratio('coalesce(revenue.net_revenue, 0)',
                      'case when activity.quotas > 0 then activity.quota_amount end') }}
            as attainment,
        cast(coalesce(closed.won_count, 0) as integer) as won_count,
        cast(coalesce(closed.lost_count, 0) as integer) as lost_count,
        {{ safe_ratio('closed.won_count', 'closed.won_count + closed.lost_count') }} as win_rate,
        {{ safe_ratio('closed.bookings_amount', 'closed.bookings_amount + closed.lost_amount') }}
            as win_rate_by_amount,
        cast(coalesce(closed.bookings_amount, 0) as decimal(38, 12)) as bookings_amount,
        {{ decimal_ratio('closed.bookings_amount', 'closed.won_count') }} as average_deal_size,
        cast(closed.median_sales_cycle_days as double) as median_sales_cycle_days,
        cast(coalesce(activity.opportunities_created, 0) as integer) as opportunities_created,
        cast(coalesce(activity.pipeline_created_amount, 0) as decimal(38, 12))
            as pipeline_created_amount,
        cast(coalesce(activity.leads_created, 0) as integer) as leads_created,
        cast(coalesce(activity.leads_converted, 0) as integer) as leads_converted,
        {{ safe_ratio('activity.leads_converted', 'activity.leads_created') }}
            as lead_conversion_rate,
        cast(coalesce(activity.activities, 0) as integer) as activities,
        cast(coalesce(activity.customer_visits, 0) as integer) as customer_visits,
        cross_sell.cross_sell_rate,
        cast(coalesce(surveys.nps_responses, 0) as integer) as nps_responses,
        {{ nps('surveys.promoters', 'surveys.detractors', 'surveys.nps_responses') }} as nps,
        cast(coalesce(surveys.csat_responses, 0) as integer) as csat_responses,
        {{ csat('surveys.csat_satisfied', 'surveys.csat_responses') }} as csat,
        cast(coalesce(activity.complaints, 0) as integer) as complaints,
        100 * {{ safe_ratio('coalesce(activity.complaints, 0)', 'revenue.orders') }}
            as complaints_per_100_orders,
        cast(coalesce(previous_customers.customers_previous_month, 0) as integer)
            as customers_previous_month,
        {{ safe_ratio('previous_customers.customers_retained',
                      'previous_customers.customers_previous_month') }} as retention_rate
    from bounded
    {% for part in ['revenue', 'cross_sell', 'previous_customers', 'closed', 'activity',
                    'surveys'] -%}
    left join {{ part }}
        on bounded.level = {{ part }}.level and bounded.node = {{ part }}.node
        and bounded.month = {{ part }}.month
    {% endfor %}
)

select * from final
