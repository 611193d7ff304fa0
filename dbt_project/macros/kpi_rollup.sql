{#- Rep KPIs (METRICS.md §7) for one month x node, where the node is the rep, the rep's
    manager or the rep's region *as it stood in that month* (int_rep_months). Every ratio is
    computed from the node's own events (never an average of its reps' ratios), so a
    manager's median sales cycle is the median of the team's deals.

    node: a column of int_rep_months ('rep_id', 'manager_id' or 'region').
    Returns a SELECT of (month, node, metrics...). -#}
{% macro kpi_metrics() -%}
    {#- The metric columns kpi_rollup returns after (month, node), in order. -#}
    {{ return(["net_revenue", "net_revenue_new_customers", "net_revenue_existing_customers", "orders", "active_customers", "new_customers", "quota_amount", "attainment", "won_count", "lost_count", "win_rate", "win_rate_by_amount", "bookings_amount", "average_deal_size", "median_sales_cycle_days", "opportunities_created", "pipeline_created_amount", "leads_created", "leads_converted", "lead_conversion_rate", "activities", "customer_visits", "cross_sell_rate", "nps_responses", "nps", "csat_responses", "csat", "complaints", "complaints_per_100_orders", "customers_previous_month", "retention_rate"]) }}
{%- endmacro %}

{% macro kpi_node(node, rep_column) -%}
    {#- The node an event belongs to: the rep itself, or the rep's manager/region in the
        event's month; events with no (known) rep go to '(unassigned)' so no revenue is lost. -#}
    {%- if node == 'rep_id' -%}
        coalesce({{ rep_column }}, '(unassigned)')
    {%- else -%}
        coalesce(rep_months.{{ node }}, '(unassigned)')
    {%- endif -%}
{%- endmacro %}

{% macro events_by_node(node, relation, rep_column, time_column, aggregates) %}
    {#- Events of `relation` (up to the as-of date) counted per node and month of
        `time_column`; `aggregates` read the events as `events.<column>`. -#}
    select
        {{ kpi_node(node, 'events.' ~ rep_column) }} as node,
        events.month,
        {{ aggregates }}
    from (
        select *, cast({{ dbt.date_trunc('month', time_column) }} as date) as month
        from {{ relation }}
        where cast({{ time_column }} as date) <= {{ as_of_date() }}
    ) as events
    left join rep_months
        on events.{{ rep_column }} = rep_months.rep_id and events.month = rep_months.month
    group by 1, 2
{% endmacro %}

{% macro kpi_rollup(node) %}
with rep_months as (
    select * from {{ ref('int_rep_months') }}
),

customers as (
    select account_id, cast({{ dbt.date_trunc('month', 'first_order_date') }} as date)
        as first_order_month
    from {{ ref('dim_customer') }}
),

fx as (
    select * from {{ ref('int_fx_rates_daily') }}
),

lines as (
    select
        {{ kpi_node(node, 'lines.rep_id') }} as node,
        lines.order_month as month,
        lines.order_id,
        lines.account_id,
        lines.product_category,
        lines.net_revenue_reporting,
        customers.first_order_month = lines.order_month as is_new_customer
    from {{ ref('fct_order_lines') }} as lines
    left join rep_months
        on lines.rep_id = rep_months.rep_id and lines.order_month = rep_months.month
    left join customers
        on lines.account_id = customers.account_id
    where not lines.is_cancelled
        and lines.order_date <= {{ as_of_date() }}
),

revenue as (
    select
        node,
        month,
        sum(net_revenue_reporting) as net_revenue,
        sum(case when is_new_customer then net_revenue_reporting else 0 end)
            as net_revenue_new_customers,
        sum(case when is_new_customer then 0 else net_revenue_reporting end)
            as net_revenue_existing_customers,
        count(distinct order_id) as orders,
        count(distinct account_id) as active_customers,
        count(distinct case when is_new_customer then account_id end) as new_customers
    from lines
    group by node, month
),

customer_months as (
    select node, month, account_id, count(distinct product_category) as categories
    from lines
    group by node, month, account_id
),

cross_sell as (
    select
        node,
        month,
        {{ safe_ratio('sum(case when categories >= 2 then 1 else 0 end)', 'count(*)') }}
            as cross_sell_rate
    from customer_months
    group by node, month
),

retention as (
    -- Customers active with the node this month who were active with it last month too.
    select
        current_month.node,
        current_month.month,
        count(distinct previous_month.account_id) as customers_retained
    from customer_months as current_month
    inner join customer_months as previous_month
        on current_month.node = previous_month.node
        and current_month.account_id = previous_month.account_id
        and current_month.month = cast({{ dbt.dateadd('month', 1, 'previous_month.month') }} as date)
    group by current_month.node, current_month.month
),

previous_customers as (
    -- Customers active with the node last month, counted for every month that follows one
    -- with activity (including months with no activity now, where retention is 0).
    select
        node,
        cast({{ dbt.dateadd('month', 1, 'month') }} as date) as month,
        count(distinct account_id) as customers_previous_month
    from customer_months
    group by node, month
),

deals as (
    select
        {{ kpi_node(node, 'opportunities.owner_rep_id') }} as node,
        opportunities.close_month as month,
        opportunities.is_won,
        opportunities.is_lost,
        opportunities.amount_reporting,
        opportunities.sales_cycle_days
    from {{ ref('fct_opportunities') }} as opportunities
    left join rep_months
        on opportunities.owner_rep_id = rep_months.rep_id
        and opportunities.close_month = rep_months.month
    where opportunities.is_win_rate_eligible
        and opportunities.close_date <= {{ as_of_date() }}
),

closed as (
    select
        node,
        month,
        sum(case when is_won then 1 else 0 end) as won_count,
        sum(case when is_lost then 1 else 0 end) as lost_count,
        sum(case when is_won then amount_reporting else 0 end) as bookings_amount,
        sum(case when is_lost then coalesce(amount_reporting, 0) else 0 end) as lost_amount,
        {{ median('case when is_won then sales_cycle_days end') }} as median_sales_cycle_days
    from deals
    group by node, month
),

created as (
    select
        {{ kpi_node(node, 'opportunities.owner_rep_id') }} as node,
        opportunities.created_month as month,
        count(*) as opportunities_created,
        sum(coalesce(opportunities.amount_reporting, 0)) as pipeline_created_amount
    from {{ ref('fct_opportunities') }} as opportunities
    left join rep_months
        on opportunities.owner_rep_id = rep_months.rep_id
        and opportunities.created_month = rep_months.month
    where not opportunities.is_deleted
        and opportunities.created_date <= {{ as_of_date() }}
    group by 1, 2
),

leads as (
    {{ events_by_node(node, ref('stg_crm__leads'), 'owner_rep_id', 'created_at',
        "count(*) as leads_created, "
        ~ "sum(case when events.status = 'converted' then 1 else 0 end) as leads_converted") }}
),

activities as (
    {{ events_by_node(node, ref('stg_crm__activities'), 'rep_id', 'occurred_at',
        "count(*) as activities, "
        ~ "sum(case when events.type = 'visit' then 1 else 0 end) as customer_visits") }}
),

surveys as (
    {{ events_by_node(node, ref('stg_survey__responses'), 'rep_id', 'submitted_at',
        survey_counts('events.survey_type', 'events.score')) }}
),

complaints as (
    {{ events_by_node(node, ref('stg_survey__complaints'), 'rep_id', 'opened_at',
        "count(*) as complaints") }}
),

quotas as (
    -- Quotas in another currency convert at the rate of the period's first day.
    select
        {{ kpi_node(node, 'quotas.rep_id') }} as node,
        quotas.period_month as month,
        sum(cast(quotas.quota_amount as decimal(38, 4)) * fx.rate_to_reporting) as quota_amount
    from {{ ref('stg_plan__quotas') }} as quotas
    left join rep_months
        on quotas.rep_id = rep_months.rep_id and quotas.period_month = rep_months.month
    left join fx
        on quotas.currency = fx.currency and quotas.period_month = fx.date_day
    group by 1, 2
),

spine as (
    -- Every node with an employed rep in the month (zeros, not gaps), plus any node with
    -- activity in it.
    select distinct {{ node }} as node, month from rep_months
    where is_employed and {{ node }} is not null
    union select node, month from revenue
    union select node, month from closed
    union select node, month from created
    union select node, month from leads
    union select node, month from activities
    union select node, month from surveys
    union select node, month from complaints
    union select node, month from quotas
),

bounded as (
    select spine.* from spine
    where spine.month >= (select min(month_start) from {{ ref('dim_date') }})
        and spine.month <= {{ as_of_date() }}
)

select
    bounded.month,
    bounded.node,
    cast(coalesce(revenue.net_revenue, 0) as decimal(38, 12)) as net_revenue,
    cast(coalesce(revenue.net_revenue_new_customers, 0) as decimal(38, 12))
        as net_revenue_new_customers,
    cast(coalesce(revenue.net_revenue_existing_customers, 0) as decimal(38, 12))
        as net_revenue_existing_customers,
    cast(coalesce(revenue.orders, 0) as integer) as orders,
    cast(coalesce(revenue.active_customers, 0) as integer) as active_customers,
    cast(coalesce(revenue.new_customers, 0) as integer) as new_customers,
    cast(quotas.quota_amount as decimal(38, 12)) as quota_amount,
    {{ safe_ratio('coalesce(revenue.net_revenue, 0)', 'quotas.quota_amount') }} as attainment,
    cast(coalesce(closed.won_count, 0) as integer) as won_count,
    cast(coalesce(closed.lost_count, 0) as integer) as lost_count,
    {{ safe_ratio('closed.won_count', 'closed.won_count + closed.lost_count') }} as win_rate,
    {{ safe_ratio('closed.bookings_amount', 'closed.bookings_amount + closed.lost_amount') }}
        as win_rate_by_amount,
    cast(coalesce(closed.bookings_amount, 0) as decimal(38, 12)) as bookings_amount,
    {{ safe_ratio('closed.bookings_amount', 'closed.won_count') }} as average_deal_size,
    cast(closed.median_sales_cycle_days as double) as median_sales_cycle_days,
    cast(coalesce(created.opportunities_created, 0) as integer) as opportunities_created,
    cast(coalesce(created.pipeline_created_amount, 0) as decimal(38, 12))
        as pipeline_created_amount,
    cast(coalesce(leads.leads_created, 0) as integer) as leads_created,
    cast(coalesce(leads.leads_converted, 0) as integer) as leads_converted,
    {{ safe_ratio('leads.leads_converted', 'leads.leads_created') }} as lead_conversion_rate,
    cast(coalesce(activities.activities, 0) as integer) as activities,
    cast(coalesce(activities.customer_visits, 0) as integer) as customer_visits,
    cross_sell.cross_sell_rate as cross_sell_rate,
    cast(coalesce(surveys.nps_responses, 0) as integer) as nps_responses,
    {{ nps('surveys.promoters', 'surveys.detractors', 'surveys.nps_responses') }} as nps,
    cast(coalesce(surveys.csat_responses, 0) as integer) as csat_responses,
    {{ csat('surveys.csat_satisfied', 'surveys.csat_responses') }} as csat,
    cast(coalesce(complaints.complaints, 0) as integer) as complaints,
    100 * {{ safe_ratio('coalesce(complaints.complaints, 0)', 'revenue.orders') }}
        as complaints_per_100_orders,
    cast(previous_customers.customers_previous_month as integer) as customers_previous_month,
    {{ safe_ratio('coalesce(retention.customers_retained, 0)',
                  'previous_customers.customers_previous_month') }} as retention_rate
from bounded
left join revenue on bounded.node = revenue.node and bounded.month = revenue.month
left join cross_sell on bounded.node = cross_sell.node and bounded.month = cross_sell.month
left join retention on bounded.node = retention.node and bounded.month = retention.month
left join previous_customers
    on bounded.node = previous_customers.node and bounded.month = previous_customers.month
left join closed on bounded.node = closed.node and bounded.month = closed.month
left join created on bounded.node = created.node and bounded.month = created.month
left join leads on bounded.node = leads.node and bounded.month = leads.month
left join activities on bounded.node = activities.node and bounded.month = activities.month
left join surveys on bounded.node = surveys.node and bounded.month = surveys.month
left join complaints on bounded.node = complaints.node and bounded.month = complaints.month
left join quotas on bounded.node = quotas.node and bounded.month = quotas.month
{% endmacro %}
