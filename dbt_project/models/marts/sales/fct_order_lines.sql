-- One row per order line: revenue (at the order date, net of discounts, cancellations and
-- returns), cost and gross margin, in the source and the reporting currency. No rounding (see
-- int_order_lines). Lines whose order is missing are kept, flagged is_orphan_line.
-- Incremental: the orders new loads touched, and the orders whose new-customer flag changes
-- (a late order can become an account's first), see macros/incremental_orders.sql.
{{ config(**order_lines_incremental_config()) }}
{%- set watermark = increment_watermark() %}

with order_lines as (
    select * from {{ ref('int_order_lines') }}
    {%- if watermark is not none %}
    where order_id in (
        {{ orders_touched_since(watermark) }}
        union
        select first_order_id from {{ ref('int_customer_first_orders') }}
        where first_order_id not in (select order_id from {{ this }} where is_new_customer_order)
        union
        select order_id from {{ this }}
        where is_new_customer_order
          and order_id not in (select first_order_id from {{ ref('int_customer_first_orders') }})
    )
    {%- endif %}
),

products as (
    select * from {{ ref('dim_product') }}
),

fx as (
    select * from {{ ref('int_fx_rates_daily') }}
),

first_orders as (
    -- The new-customer rule, once: int_customer_first_orders.
    select account_id, first_order_id as order_id
    from {{ ref('int_customer_first_orders') }}
),

final as (
    select
        order_lines.order_id,
        order_lines.line_no,
        order_lines.order_date,
        order_lines.order_month,
        order_lines.account_id,
        order_lines.rep_id,
        order_lines.channel,
        order_lines.order_status,
        order_lines.opportunity_id,
        order_lines.product_id,
        coalesce(products.category, 'unknown') as product_category,
        order_lines.currency,
        order_lines.quantity,
        order_lines.unit_price,
        order_lines.discount_amount,
        cast(order_lines.quantity as decimal(38, 4)) * order_lines.unit_price as gross_amount,
        order_lines.net_amount,
        order_lines.returned_quantity,
        order_lines.excess_returned_quantity,
        order_lines.return_amount,
        order_lines.net_revenue,
        order_lines.rate_to_reporting,
        order_lines.net_revenue_reporting,
        -- Cost of the units kept: unit cost (in the product's currency, converted at the order
        -- date) x (quantity - returned quantity). Unknown cost gives unknown margin, not 100 %.
        case
            when order_lines.is_cancelled or order_lines.is_orphan_line
                then cast(0 as decimal(38, 12))
            when products.unit_cost is null then null
            else cast(products.unit_cost as decimal(38, 4))
                * (order_lines.quantity - order_lines.returned_quantity)
                * cost_fx.rate_to_reporting
        end as cost_amount_reporting,
        order_lines.is_cancelled,
        order_lines.is_orphan_line,
        order_lines.is_credit_line,
        order_lines.returned_quantity > 0 as is_returned,
        first_orders.order_id is not null as is_new_customer_order,
        products.unit_cost is not null as has_unit_cost,
        order_lines._source_file,
        order_lines._source_line
    from order_lines
    left join products
        on order_lines.product_id = products.product_id
    left join fx as cost_fx
        on coalesce(products.currency, '{{ var("reporting_currency") }}') = cost_fx.currency
        and order_lines.order_date = cost_fx.date_day
    left join first_orders
        on order_lines.order_id = first_orders.order_id
)

select
    *,
    net_revenue_reporting - cost_amount_reporting as gross_margin_reporting
from final
