with source as (
    select * from {{ source('plan', 'market_size') }}
),

latest as (
    {{ latest_version('source', ['period', 'region']) }}
),

final as (
    select
        period,
        cast(period || '-01' as date) as period_month,
        region,
        market_revenue,
        _source_file,
        _source_line,
        _load_id
    from latest
)

select * from final
