with source as (
    select * from {{ source('orders', 'products') }}
),

latest as (
    {{ latest_version('source', ['product_id']) }}
),

final as (
    select
        product_id,
        product_name,
        category,
        list_price,
        unit_cost,
        currency,
        _source_file,
        _source_line,
        _load_id
    from latest
)

select * from final
