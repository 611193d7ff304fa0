with source as (
    select * from {{ source('plan', 'targets') }}
),

latest as (
    {{ latest_version('source', ['period', 'metric', 'scope']) }}
),

final as (
    select
        period,
        cast(period || '-01' as date) as period_month,
        metric,
        target_value,
        scope,
        _source_file,
        _source_line,
        _load_id
    from latest
)

select * from final
