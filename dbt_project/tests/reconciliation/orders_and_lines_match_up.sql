{{ config(store_failures=true, store_failures_as="view", schema="audit",
          meta={"dagster": {"ref": {"name": "fct_orders"}}}) }}
-- Orders and their lines come from two files of the order system. When one of them is missing
-- or rejected whole (a truncated export), every order looks empty, or every line orphaned, and
-- the marts would show revenue 0 for them: fail the build instead. A few unmatched rows are
-- normal (an order cancelled before any line, a line delivered ahead of its order); more than
-- the tolerated share (var unmatched_order_share, default 5 %) is not.
{% set tolerated = var('unmatched_order_share', 0.05) %}

with orders as (
    select
        count(*) as orders,
        sum(case when has_no_lines then 1 else 0 end) as orders_without_lines
    from {{ ref('fct_orders') }}
    where not is_cancelled
),

lines as (
    select
        count(*) as lines,
        sum(case when is_orphan_line then 1 else 0 end) as lines_without_orders
    from {{ ref('fct_order_lines') }}
)

select
    orders.orders,
    orders.orders_without_lines,
    lines.lines,
    lines.lines_without_orders,
    'more than {{ tolerated * 100 }} % of orders have no lines, or of lines no order: is '
        || 'orders/order_lines or orders/orders missing or rejected? See audit.load_log'
        as problem
from orders
cross join lines
where orders.orders_without_lines > {{ tolerated }} * orders.orders
    or lines.lines_without_orders > {{ tolerated }} * lines.lines
