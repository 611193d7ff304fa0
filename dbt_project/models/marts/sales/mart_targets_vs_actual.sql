-- Targets against actuals (METRICS.md §8, handbook ch. 2.2). Grain: period (month) x metric x
-- scope, for every target in plan/targets. Scopes: company, region:<customer region>,
-- channel:<channel>, category:<product category>. Metrics:
--   revenue        net revenue in the period
--   new_customers  customers whose first ever order falls in the period
--   market_share   revenue / market size (plan/market_size; company: all regions)
--   category_mix   the scope category's share of the period's revenue
--   csat / nps     from the period's survey responses (CSAT 0-1, NPS -100..100)
-- gap = actual - target; pct_of_target = actual / target. Periods after the as-of date have
-- no actual yet. Values are exact decimals in the row's `unit` (the reporting currency,
-- customers, ratio 0-1, or NPS points).
with targets as (
    select * from {{ ref('stg_plan__targets') }}
),

customers as (
    select account_id, region, first_order_date from {{ ref('dim_customer') }}
),

lines as (
    select
        lines.order_month as month,
        lines.net_revenue_reporting,
        lines.account_id,
        lines.channel,
        lines.product_category,
        customers.region,
        -- A new customer counts at its first order (company-wide), in that order's scope.
        lines.is_new_customer_order as is_new_customer
    from {{ ref('fct_order_lines') }} as lines
    left join customers on lines.account_id = customers.account_id
    where not lines.is_cancelled and lines.order_date <= {{ as_of_date() }}
),

scoped_lines as (
    select month, 'company' as scope, net_revenue_reporting, account_id, is_new_customer
    from lines
    union all
    select month, 'region:' || region, net_revenue_reporting, account_id, is_new_customer
    from lines where region is not null
    union all
    select month, 'channel:' || channel, net_revenue_reporting, account_id, is_new_customer
    from lines
    union all
    select month, 'category:' || product_category, net_revenue_reporting, account_id,
        is_new_customer
    from lines
),

revenue as (
    select
        month,
        scope,
        sum(net_revenue_reporting) as revenue,
        count(distinct case when is_new_customer then account_id end) as new_customers
    from scoped_lines
    group by month, scope
),

company_revenue as (
    select month, revenue from revenue where scope = 'company'
),

markets as (
    select period_month as month, 'region:' || region as scope, sum(market_revenue) as market
    from {{ ref('stg_plan__market_size') }}
    group by period_month, region
    union all
    select period_month, 'company', sum(market_revenue)
    from {{ ref('stg_plan__market_size') }}
    group by period_month
),

responses as (
    select
        cast({{ dbt.date_trunc('month', 'responses.submitted_date') }} as date) as month,
        responses.survey_type,
        responses.score,
        customers.region,
        coalesce(responses.channel, orders.channel) as channel
    from {{ ref('stg_survey__responses') }} as responses
    left join customers on responses.account_id = customers.account_id
    left join {{ ref('fct_orders') }} as orders on responses.order_id = orders.order_id
    where responses.submitted_date <= {{ as_of_date() }}
),

scoped_responses as (
    select month, 'company' as scope, survey_type, score from responses
    union all
    select month, 'region:' || region, survey_type, score from responses where region is not null
    union all
    select month, 'channel:' || channel, survey_type, score from responses where channel is not null
),

satisfaction as (
    -- The satisfaction definitions (macros/satisfaction.sql) as exact decimals, since this
    -- mart's one value column carries money too.
    select
        month,
        scope,
        {{ decimal_ratio('csat_satisfied', 'csat_responses') }} as csat,
        {{ decimal_ratio('100 * (promoters - detractors)', 'nps_responses') }} as nps
    from (
        select month, scope, {{ survey_counts() }}
        from scoped_responses
        group by month, scope
    ) as counts
),

actuals as (
    select
        targets.period,
        targets.period_month,
        targets.metric,
        targets.scope,
        targets.target_value,
        case targets.metric
            when 'revenue' then '{{ var("reporting_currency") }}'
            when 'new_customers' then 'customers'
            when 'nps' then 'nps_points'
            else 'ratio'
        end as unit,
        cast(case targets.metric
            when 'revenue' then coalesce(revenue.revenue, 0)
            when 'new_customers' then coalesce(revenue.new_customers, 0)
            when 'market_share' then {{ decimal_ratio('coalesce(revenue.revenue, 0)', 'markets.market') }}
            when 'category_mix' then {{ decimal_ratio('coalesce(revenue.revenue, 0)',
                                                      'company_revenue.revenue') }}
            when 'csat' then satisfaction.csat
            when 'nps' then satisfaction.nps
        end as decimal(38, 12)) as actual_value,
        targets.period_month <= {{ as_of_date() }} as is_measured
    from targets
    left join revenue
        on targets.period_month = revenue.month and targets.scope = revenue.scope
    left join company_revenue on targets.period_month = company_revenue.month
    left join markets on targets.period_month = markets.month and targets.scope = markets.scope
    left join satisfaction
        on targets.period_month = satisfaction.month and targets.scope = satisfaction.scope
),

final as (
    select
        period,
        period_month,
        metric,
        scope,
        unit,
        cast(target_value as decimal(38, 12)) as target_value,
        case when is_measured then actual_value end as actual_value,
        case when is_measured then cast(actual_value - target_value as decimal(38, 12)) end
            as gap,
        case when is_measured then {{ safe_ratio('actual_value', 'target_value') }} end
            as pct_of_target,
        is_measured
    from actuals
)

select * from final
order by period, metric, scope
