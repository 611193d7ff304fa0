-- Payments, newest version per key; in a replay (--as-of), those of orders placed after the
-- replay day are not known yet (as for order lines).
with source as (
    select * from {{ source('orders', 'payments') }}
    where {{ order_known_by_replay_day('order_id') }}
),

latest as (
    {{ latest_version('source', ['order_id', 'payment_sequential']) }}
),

final as (
    select
        order_id,
        payment_sequential,
        payment_type,
        installments,
        amount,
        _source_file,
        _source_line,
        _load_id
    from latest
)

select * from final
