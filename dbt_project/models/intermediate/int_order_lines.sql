-- One row per order line with its order's attributes, returns, and net revenue in the source
-- and the reporting currency. Revenue counts at the order date, net of discounts,
-- cancellations and returns (a return reduces the revenue of the original order's month).
with lines as (
    select * from {{ ref('stg_orders__order_lines') }}
),

orders as (
    select * from {{ ref('stg_orders__orders') }}
),

products as (
    select * from {{ ref('stg_orders__products') }}
),

returns as (
    select
        order_id,
        line_no,
        sum(quantity) as returned_quantity,
        max(returned_at) as last_returned_at
    from {{ ref('stg_orders__returns') }}
    group by order_id, line_no
),

fx as (
    select * from {{ ref('int_fx_rates_daily') }}
),

joined as (
    select
        lines.order_id,
        lines.line_no,
        orders.account_id,
        orders.order_date,
        cast({{ dbt.date_trunc('month', 'orders.order_date') }} as date) as order_month,
        orders.channel,
        orders.status as order_status,
        orders.rep_id,
        orders.opportunity_id,
        orders.currency,
        lines.product_id,
        products.category as product_category,
        lines.quantity,
        lines.unit_price,
        lines.discount_amount,
        cast(lines.quantity as decimal(38, 4)) * lines.unit_price
            - lines.discount_amount as net_amount,
        -- Returns beyond the quantity sold are capped (and caught by a test upstream).
        cast(least(coalesce(returns.returned_quantity, 0), lines.quantity) as bigint)
            as returned_quantity,
        orders.status = 'cancelled' as is_cancelled,
        lines._source_file,
        lines._source_line
    from lines
    inner join orders
        on lines.order_id = orders.order_id
    left join products
        on lines.product_id = products.product_id
    left join returns
        on lines.order_id = returns.order_id
        and lines.line_no = returns.line_no
),

with_returns as (
    select
        *,
        -- The returned share of the line's net amount, rounded half-up to the cent once, here.
        -- Integer arithmetic in ten-thousandths keeps it exact (no binary floats); the operands
        -- are BIGINT because DuckDB divides DECIMALs as DOUBLE, even with //.
        case
            when returned_quantity = 0 then cast(0 as decimal(38, 2))
            else cast(
                {{ integer_divide(
                    '2 * cast(net_amount * 10000 as bigint) * cast(returned_quantity as bigint)'
                    ~ ' + 100 * cast(quantity as bigint)',
                    '200 * cast(quantity as bigint)'
                ) }} as decimal(38, 0)
            ) * cast(0.01 as decimal(3, 2))
        end as return_amount
    from joined
),

final as (
    select
        with_returns.*,
        case
            when is_cancelled then cast(0 as decimal(38, 4))
            else net_amount - return_amount
        end as net_revenue,
        fx.rate_to_reporting,
        case
            when is_cancelled then cast(0 as decimal(38, 12))
            else cast(net_amount - return_amount as decimal(38, 4)) * fx.rate_to_reporting
        end as net_revenue_reporting
    from with_returns
    left join fx
        on with_returns.currency = fx.currency
        and with_returns.order_date = fx.date_day
)

select * from final
