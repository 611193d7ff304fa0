with source as (
    select * from {{ source('orders', 'orders') }}
),

latest as (
    {{ latest_version('source', ['order_id'], 'updated_at') }}
),

final as (
    select
        order_id,
        account_id,
        order_date,
        channel,
        status,
        currency,
        updated_at,
        rep_id,
        opportunity_id,
        _source_file,
        _source_line,
        _load_id
    from latest
)

select * from final
