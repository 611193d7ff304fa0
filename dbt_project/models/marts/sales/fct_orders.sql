-- One row per order: its lines summed. An order is a new customer's when it is the
-- customer's first non-cancelled order ever.
with lines as (
    select * from {{ ref('fct_order_lines') }}
),

orders as (
    select * from {{ ref('stg_orders__orders') }}
),

totals as (
    select
        order_id,
        count(*) as line_count,
        sum(quantity) as quantity,
        sum(gross_amount) as gross_amount,
        cast(sum(discount_amount) as decimal(38, 2)) as discount_amount,
        sum(net_amount) as net_amount,
        sum(returned_quantity) as returned_quantity,
        sum(return_amount) as return_amount,
        sum(net_revenue) as net_revenue,
        sum(net_revenue_reporting) as net_revenue_reporting,
        sum(cost_amount_reporting) as cost_amount_reporting,
        sum(gross_margin_reporting) as gross_margin_reporting,
        max(case when is_new_customer_order then 1 else 0 end) = 1 as is_new_customer_order,
        min(case when has_unit_cost then 1 else 0 end) = 1 as has_unit_cost
    from lines
    group by order_id
),

final as (
    select
        orders.order_id,
        orders.account_id,
        orders.order_date,
        cast({{ dbt.date_trunc('month', 'orders.order_date') }} as date) as order_month,
        orders.channel,
        orders.status as order_status,
        orders.rep_id,
        orders.opportunity_id,
        orders.currency,
        coalesce(totals.line_count, 0) as line_count,
        cast(coalesce(totals.quantity, 0) as bigint) as quantity,
        coalesce(totals.gross_amount, 0) as gross_amount,
        coalesce(totals.discount_amount, 0) as discount_amount,
        coalesce(totals.net_amount, 0) as net_amount,
        cast(coalesce(totals.returned_quantity, 0) as bigint) as returned_quantity,
        coalesce(totals.return_amount, 0) as return_amount,
        coalesce(totals.net_revenue, 0) as net_revenue,
        coalesce(totals.net_revenue_reporting, 0) as net_revenue_reporting,
        totals.cost_amount_reporting,
        totals.gross_margin_reporting,
        orders.status = 'cancelled' as is_cancelled,
        coalesce(totals.is_new_customer_order, false) as is_new_customer_order,
        totals.order_id is null as has_no_lines,
        coalesce(totals.has_unit_cost, false) as has_unit_cost,
        orders._source_file,
        orders._source_line
    from orders
    left join totals
        on orders.order_id = totals.order_id
)

select * from final
