with source as (
    select * from {{ source('orders', 'payments') }}
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
