-- One row per order line with its order's attributes, returns, and net revenue in the source
-- and the reporting currency. Revenue counts at the order date, net of discounts,
-- cancellations and returns (a return reduces the revenue of the original order's month).
-- Nothing is dropped: a line whose order was never delivered stays, flagged is_orphan_line,
-- with no date and no revenue until its order arrives; returns beyond the quantity sold are
-- capped at it and flagged (excess_returned_quantity). No rounding to cents: the returned
-- share of a line is exact to 1e-12 (decimal_ratio), and amounts carry 12 decimals.
-- Incremental: only the orders new loads touched (macros/incremental_orders.sql).
{{ config(**order_lines_incremental_config()) }}
{%- set watermark = increment_watermark() %}

with lines as (
    select * from {{ ref('stg_orders__order_lines') }}
    {%- if watermark is not none %}
    where order_id in ({{ orders_touched_since(watermark) }})
    {%- endif %}
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
        count(*) as return_records,
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
        cast(least(coalesce(returns.returned_quantity, 0), lines.quantity) as bigint)
            as returned_quantity,
        cast(greatest(coalesce(returns.returned_quantity, 0) - lines.quantity, 0) as bigint)
            as excess_returned_quantity,
        coalesce(orders.status = 'cancelled', false) as is_cancelled,
        orders.order_id is null as is_orphan_line,
        -- A credit note's line (only loaded where the profile allows credit lines).
        lines.quantity < 0 or lines.unit_price < 0 as is_credit_line,
        lines._source_file,
        lines._source_line
    from lines
    left join orders
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
        -- The returned share of the line's net amount: net x returned / quantity.
        case
            when returned_quantity = 0 then cast(0 as decimal(38, 12))
            else {{ decimal_ratio('net_amount * returned_quantity', 'quantity') }}
        end as return_amount
    from joined
),

final as (
    select
        with_returns.*,
        case
            when is_cancelled or is_orphan_line then cast(0 as decimal(38, 12))
            else cast(net_amount - return_amount as decimal(38, 12))
        end as net_revenue,
        fx.rate_to_reporting,
        -- Exact for lines without returns (4 decimals x an 8-decimal rate); a returned share
        -- (exact to 1e-12) times the rate is cut back to 12 decimals, far below a cent, so
        -- every sum over lines is exact at one scale and the marts reconcile to the digit.
        case
            when is_cancelled or is_orphan_line then cast(0 as decimal(38, 12))
            else cast(cast(net_amount - return_amount as decimal(38, 12)) * fx.rate_to_reporting
                as decimal(38, 12))
        end as net_revenue_reporting
    from with_returns
    left join fx
        on with_returns.currency = fx.currency
        and with_returns.order_date = fx.date_day
)

select * from final
