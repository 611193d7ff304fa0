-- Payments, newest version per key; in a replay (--as-of), those of orders placed after the
-- replay day are not known yet (as for order lines).
with source as (
    select * from {{ source('orders', 'payments') }}
    {% if var('as_of_date', none) -%}
    where order_id not in (
        select order_id from {{ source('orders', 'orders') }}
        where not {{ known_by_replay_day('order_date') }}
        and order_id not in (
            select order_id from {{ source('orders', 'orders') }}
            where {{ known_by_replay_day('order_date') }}
        )
    )
    {%- endif %}
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
