-- Customer satisfaction per month (METRICS.md §6). Grain: month x region x channel x rep, for
-- every combination with a response, a complaint or an order. Counts are additive, so BI can
-- roll up to region, channel or rep and recompute NPS and CSAT from them; the ratios on each
-- row are that row's own. Region is the customer's; the channel is the response's (else that
-- of the order it is about); the rep is staging's attributed_rep_id (the one the response or
-- complaint carries, else the account's owner), as in the rep KPIs. Responses about an order
-- are also counted by how its delivery went (handbook 6.4.2: do late deliveries score
-- lower?): `_late_delivery` when a parcel of the order arrived after the promised date, was
-- lost or is in transit past it; `_on_time_delivery` when every parcel arrived by the promise.
{% set sla_hours = var('complaint_sla_hours', 48) %}

with customers as (
    select account_id, coalesce(region, '(unknown)') as region from {{ ref('dim_customer') }}
),

orders as (
    select order_id, channel, rep_id from {{ ref('fct_orders') }}
),

deliveries as (
    select
        order_id,
        case
            when bool_or(is_late or is_lost) then 'late'
            when bool_and(coalesce(is_on_time, false)) then 'on_time'
        end as delivery
    from {{ ref('fct_shipments') }}
    group by order_id
),

responses as (
    select
        cast({{ dbt.date_trunc('month', 'responses.submitted_date') }} as date) as month,
        coalesce(customers.region, '(unknown)') as region,
        coalesce(responses.channel, orders.channel, '(none)') as channel,
        coalesce(responses.attributed_rep_id, '(none)') as rep_id,
        {{ survey_counts('responses.survey_type', 'responses.score') }},
        {{ survey_counts('responses.survey_type', 'responses.score', '_late_delivery',
                         "deliveries.delivery = 'late'") }},
        {{ survey_counts('responses.survey_type', 'responses.score', '_on_time_delivery',
                         "deliveries.delivery = 'on_time'") }}
    from {{ ref('stg_survey__responses') }} as responses
    left join orders on responses.order_id = orders.order_id
    left join deliveries on responses.order_id = deliveries.order_id
    left join customers on responses.account_id = customers.account_id
    where responses.submitted_date <= {{ as_of_date() }}
    group by 1, 2, 3, 4
),

complaints as (
    select
        cast({{ dbt.date_trunc('month', 'complaints.opened_date') }} as date) as month,
        coalesce(customers.region, '(unknown)') as region,
        coalesce(orders.channel, '(none)') as channel,
        coalesce(complaints.attributed_rep_id, '(none)') as rep_id,
        count(*) as complaints,
        sum(case when complaints.resolved_at is not null then 1 else 0 end)
            as complaints_resolved,
        sum(case when complaints.resolved_at is not null
            and {{ elapsed_minutes('complaints.opened_at', 'complaints.resolved_at') }}
                <= {{ sla_hours }} * 60 then 1 else 0 end) as resolved_within_sla,
        {{ median(elapsed_minutes('complaints.opened_at', 'complaints.resolved_at')
                  ~ ' / 60') }} as median_resolution_hours
    from {{ ref('stg_survey__complaints') }} as complaints
    left join orders on complaints.order_id = orders.order_id
    left join customers on complaints.account_id = customers.account_id
    where complaints.opened_date <= {{ as_of_date() }}
    group by 1, 2, 3, 4
),

order_counts as (
    select
        orders.order_month as month,
        coalesce(customers.region, '(unknown)') as region,
        coalesce(orders.channel, '(none)') as channel,
        coalesce(orders.rep_id, '(none)') as rep_id,
        count(*) as orders
    from {{ ref('fct_orders') }} as orders
    left join customers on orders.account_id = customers.account_id
    where not orders.is_cancelled and orders.order_date <= {{ as_of_date() }}
    group by 1, 2, 3, 4
),

keys as (
    select month, region, channel, rep_id from responses
    union select month, region, channel, rep_id from complaints
    union select month, region, channel, rep_id from order_counts
),

final as (
    select
        keys.month,
        keys.region,
        keys.channel,
        keys.rep_id,
        cast(coalesce(responses.nps_responses, 0) as integer) as nps_responses,
        cast(coalesce(responses.promoters, 0) as integer) as promoters,
        cast(coalesce(responses.detractors, 0) as integer) as detractors,
        {{ nps('responses.promoters', 'responses.detractors', 'responses.nps_responses') }}
            as nps,
        cast(coalesce(responses.csat_responses, 0) as integer) as csat_responses,
        cast(coalesce(responses.csat_satisfied, 0) as integer) as csat_satisfied,
        {{ csat('responses.csat_satisfied', 'responses.csat_responses') }} as csat,
{%- for suffix in ['_late_delivery', '_on_time_delivery'] %}
        cast(coalesce(responses.nps_responses{{ suffix }}, 0) as integer)
            as nps_responses{{ suffix }},
        {{ nps('responses.promoters' ~ suffix, 'responses.detractors' ~ suffix,
               'responses.nps_responses' ~ suffix) }} as nps{{ suffix }},
        cast(coalesce(responses.csat_responses{{ suffix }}, 0) as integer)
            as csat_responses{{ suffix }},
        cast(coalesce(responses.csat_satisfied{{ suffix }}, 0) as integer)
            as csat_satisfied{{ suffix }},
        {{ csat('responses.csat_satisfied' ~ suffix, 'responses.csat_responses' ~ suffix) }}
            as csat{{ suffix }},
{%- endfor %}
        cast(coalesce(order_counts.orders, 0) as integer) as orders,
        cast(coalesce(complaints.complaints, 0) as integer) as complaints,
        100 * {{ safe_ratio('coalesce(complaints.complaints, 0)', 'order_counts.orders') }}
            as complaints_per_100_orders,
        cast(coalesce(complaints.complaints_resolved, 0) as integer) as complaints_resolved,
        cast(complaints.median_resolution_hours as double) as median_resolution_hours,
        {{ safe_ratio('complaints.resolved_within_sla', 'complaints.complaints') }}
            as share_resolved_within_sla
    from keys
    left join responses
        on keys.month = responses.month and keys.region = responses.region
        and keys.channel = responses.channel and keys.rep_id = responses.rep_id
    left join complaints
        on keys.month = complaints.month and keys.region = complaints.region
        and keys.channel = complaints.channel and keys.rep_id = complaints.rep_id
    left join order_counts
        on keys.month = order_counts.month and keys.region = order_counts.region
        and keys.channel = order_counts.channel and keys.rep_id = order_counts.rep_id
)

select * from final
order by month, region, channel, rep_id
