-- Channel costs allocated to customers: a month's cost of a channel shared among the
-- customers who bought through it that month, in proportion to their net revenue, in whole
-- cents by the largest-remainder method, so the parts sum exactly to the channel's cost.
-- Integer arithmetic throughout (no binary floats): revenue in units of 1e-8, cost in cents;
-- the leftover cents go to the largest remainders (ties: the smaller account id).
-- Grain: month x channel x account. Customers with no positive revenue get no share; a
-- month's cost with no such customer stays unallocated.
with revenue as (
    select
        order_month as month,
        channel,
        account_id,
        sum(net_revenue_reporting) as net_revenue
    from {{ ref('fct_order_lines') }}
    where not is_cancelled and not is_orphan_line and order_date <= {{ as_of_date() }}
    group by order_month, channel, account_id
    having sum(net_revenue_reporting) > 0
),

units as (
    select
        revenue.month,
        revenue.channel,
        revenue.account_id,
        cast(round(revenue.net_revenue * 100000000) as {{ wide_integer() }}) as revenue_units,
        cast(costs.cost * 100 as {{ wide_integer() }}) as cost_cents
    from revenue
    inner join {{ ref('stg_plan__channel_costs') }} as costs
        on revenue.month = costs.period_month and revenue.channel = costs.channel
),

shares as (
    select
        *,
        cost_cents * revenue_units as share_numerator,
        sum(revenue_units) over (partition by month, channel) as total_units
    from units
),

floored as (
    select
        *,
        {{ wide_floor_divide('share_numerator', 'total_units') }} as floor_cents,
        share_numerator % total_units as remainder
    from shares
),

ranked as (
    select
        *,
        cost_cents - sum(floor_cents) over (partition by month, channel) as leftover_cents,
        row_number() over (
            partition by month, channel order by remainder desc, account_id
        ) as remainder_rank
    from floored
),

final as (
    select
        month,
        channel,
        account_id,
        cast(floor_cents + case when remainder_rank <= leftover_cents then 1 else 0 end
            as decimal(38, 0)) * cast(0.01 as decimal(3, 2)) as cost_to_serve
    from ranked
)

select * from final
