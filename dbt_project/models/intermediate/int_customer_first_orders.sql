-- The new-customer rule, once (METRICS.md): a customer's first order is its earliest
-- non-cancelled order company-wide (ties: the smallest order id). The customer is new in that
-- order's month, credited to that order's rep and channel, so rep, manager, region, channel
-- and company counts add up. Orders whose lines never arrived count too: the order happened.
with orders as (
    select account_id, order_id, order_date
    from {{ ref('stg_orders__orders') }}
    where status <> 'cancelled'
),

ranked as (
    select
        *,
        row_number() over (partition by account_id order by order_date, order_id) as position
    from orders
),

final as (
    select
        account_id,
        order_id as first_order_id,
        order_date as first_order_date
    from ranked
    where position = 1
)

select * from final
