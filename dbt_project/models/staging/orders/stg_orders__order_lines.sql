with source as (
    select * from {{ source('orders', 'order_lines') }}
),

latest as (
    {{ latest_version('source', ['order_id', 'line_no']) }}
),

final as (
    select
        order_id,
        line_no,
        product_id,
        quantity,
        unit_price,
        discount_amount,
        _source_file,
        _source_line,
        _load_id
    from latest
)

select * from final
