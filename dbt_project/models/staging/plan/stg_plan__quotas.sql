with source as (
    select * from {{ source('plan', 'quotas') }}
),

latest as (
    {{ latest_version('source', ['rep_id', 'period']) }}
),

final as (
    select
        rep_id,
        period,
        cast(period || '-01' as date) as period_month,
        quota_amount,
        currency,
        _source_file,
        _source_line,
        _load_id
    from latest
)

select * from final
