{{ config(meta={"dagster": {"ref": {"name": "mart_customer_value"}}}) }}
-- Largest remainder: the customers' cost-to-serve shares of a channel's month sum exactly to
-- that month's channel cost, and mart_customer_value carries all of them. Returns what differs.
with allocated as (
    select month, channel, sum(cost_to_serve) as allocated
    from {{ ref('int_cost_to_serve') }}
    group by month, channel
),

costs as (
    select period_month as month, channel, cost from {{ ref('stg_plan__channel_costs') }}
),

per_customer as (
    select
        (select sum(cost_to_serve) from {{ ref('mart_customer_value') }}) as in_mart,
        (select sum(cost_to_serve) from {{ ref('int_cost_to_serve') }}) as in_allocation
)

select allocated.month, allocated.channel, allocated.allocated, costs.cost, null as total
from allocated
inner join costs on allocated.month = costs.month and allocated.channel = costs.channel
where allocated.allocated <> costs.cost
union all
select null, null, in_allocation, null, in_mart from per_customer
where in_mart <> in_allocation
