-- Every event a rep KPI counts (METRICS.md §7), one row each, dated by its business date and
-- credited to one rep ('(unassigned)' when none is known): the single place where what counts,
-- when, and for whom is decided. int_kpi_nodes rolls these up to reps, managers and regions.
--   order_line    a non-cancelled order line: revenue at the order date (reporting currency)
--   closed_deal   a won or lost deal, not deleted, in its close month (bookings, win rate)
--   created_deal  a deal, not deleted, in its creation month (pipeline created)
--   lead          a lead in its creation month, converted by stg_crm__leads' one rule
--   activity      a logged activity; a visit counts as a customer visit too
--   response      an NPS/CSAT response; complaint  a complaint opened
--                 (both credited to staging's attributed_rep_id: the rep they carry, else
--                 the account's owner)
--   quota         a month's quota, converted at the rate of the month's first day
-- New customer (the one rule): the customer's first non-cancelled order company-wide
-- (int_customer_first_orders) is the new-customer order, credited to its rep; revenue "from
-- new customers" is revenue of customers in the month of their first order.
with as_of as (
    select as_of_date from {{ ref('int_as_of_date') }}
),

first_orders as (
    select * from {{ ref('int_customer_first_orders') }}
),

order_lines as (
    select
        'order_line' as event_type,
        lines.order_month as month,
        lines.rep_id,
        lines.order_id,
        lines.account_id,
        lines.product_category,
        lines.net_revenue_reporting as amount,
        cast({{ dbt.date_trunc('month', 'first_orders.first_order_date') }} as date)
            = lines.order_month as is_new_customer_revenue,
        lines.order_id = first_orders.first_order_id as is_new_customer_order
    from {{ ref('fct_order_lines') }} as lines
    left join first_orders on lines.account_id = first_orders.account_id
    where not lines.is_cancelled and not lines.is_orphan_line
        and lines.order_date <= (select as_of_date from as_of)
),

closed_deals as (
    select
        'closed_deal' as event_type,
        close_month as month,
        owner_rep_id as rep_id,
        amount_reporting as amount,
        is_won,
        is_lost,
        sales_cycle_days
    from {{ ref('fct_opportunities') }}
    where is_win_rate_eligible and close_date <= (select as_of_date from as_of)
),

created_deals as (
    select
        'created_deal' as event_type,
        created_month as month,
        owner_rep_id as rep_id,
        coalesce(amount_reporting, 0) as amount
    from {{ ref('fct_opportunities') }}
    where not is_deleted and created_date <= (select as_of_date from as_of)
),

leads as (
    select
        'lead' as event_type,
        cast({{ dbt.date_trunc('month', 'created_date') }} as date) as month,
        owner_rep_id as rep_id,
        is_converted
    from {{ ref('stg_crm__leads') }}
    where created_date <= (select as_of_date from as_of)
),

activities as (
    select
        'activity' as event_type,
        cast({{ dbt.date_trunc('month', 'occurred_date') }} as date) as month,
        rep_id,
        type = 'visit' as is_visit
    from {{ ref('stg_crm__activities') }}
    where occurred_date <= (select as_of_date from as_of)
),

responses as (
    select
        'response' as event_type,
        cast({{ dbt.date_trunc('month', 'responses.submitted_date') }} as date) as month,
        attributed_rep_id as rep_id,
        account_id,
        survey_type,
        score
    from {{ ref('stg_survey__responses') }} as responses
    where submitted_date <= (select as_of_date from as_of)
),

complaints as (
    select
        'complaint' as event_type,
        cast({{ dbt.date_trunc('month', 'complaints.opened_date') }} as date) as month,
        attributed_rep_id as rep_id,
        account_id
    from {{ ref('stg_survey__complaints') }} as complaints
    where opened_date <= (select as_of_date from as_of)
),

quotas as (
    select
        'quota' as event_type,
        quotas.period_month as month,
        quotas.rep_id,
        cast(quotas.quota_amount as decimal(38, 2)) * fx.rate_to_reporting as amount
    from {{ ref('stg_plan__quotas') }} as quotas
    left join {{ ref('int_fx_rates_daily') }} as fx
        on quotas.currency = fx.currency and quotas.period_month = fx.date_day
    -- The plan runs ahead of the data; a month after the as-of date is not a KPI month yet.
    where quotas.period_month <= (select as_of_date from as_of)
),

{#- One column list for every kind of event; a kind lacks some columns (null). Explicit, not
    DuckDB's UNION BY NAME, so the model runs on other engines too. -#}
{%- set columns = {
    'order_lines': ['order_id', 'account_id', 'product_category', 'amount',
                    'is_new_customer_revenue', 'is_new_customer_order'],
    'closed_deals': ['amount', 'is_won', 'is_lost', 'sales_cycle_days'],
    'created_deals': ['amount'],
    'leads': ['is_converted'],
    'activities': ['is_visit'],
    'responses': ['account_id', 'survey_type', 'score'],
    'complaints': ['account_id'],
    'quotas': ['amount'],
} -%}
{%- set all_columns = ['order_id', 'account_id', 'product_category', 'amount',
    'is_new_customer_revenue', 'is_new_customer_order', 'is_won', 'is_lost',
    'sales_cycle_days', 'is_converted', 'is_visit', 'survey_type', 'score'] %}
events as (
    {% for kind, present in columns.items() %}
    select event_type, month, rep_id,
        {% for column in all_columns -%}
        {%- if column == 'amount' and column in present -%}
        {#- one exact type in every branch: DuckDB unions DECIMAL(38,12) with DECIMAL(38,2) as
            DECIMAL(38,2), rounding silently -#}
        cast(amount as decimal(38, 12)) as amount,
        {%- else -%}
        {{ column if column in present else 'null' }} as {{ column }}{{ ',' if not loop.last }}
        {%- endif %}
        {% endfor %}
    from {{ kind }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        event_type,
        month,
        coalesce(rep_id, '(unassigned)') as rep_id,
        order_id,
        account_id,
        product_category,
        cast(amount as decimal(38, 12)) as amount,
        coalesce(is_new_customer_revenue, false) as is_new_customer_revenue,
        coalesce(is_new_customer_order, false) as is_new_customer_order,
        coalesce(is_won, false) as is_won,
        coalesce(is_lost, false) as is_lost,
        sales_cycle_days,
        coalesce(is_converted, false) as is_converted,
        coalesce(is_visit, false) as is_visit,
        survey_type,
        score
    from events
)

select * from final
