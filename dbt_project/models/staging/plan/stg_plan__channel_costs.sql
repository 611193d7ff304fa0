with source as (
    select * from {{ source('plan', 'channel_costs') }}
),

latest as (
    {{ latest_version('source', ['period', 'channel']) }}
),

final as (
    select
        period,
        cast(period || '-01' as date) as period_month,
        channel,
        cost,
        _source_file,
        _source_line,
        _load_id
    from latest
)

select * from final
