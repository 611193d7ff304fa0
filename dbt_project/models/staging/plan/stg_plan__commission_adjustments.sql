with source as (
    select * from {{ source('plan', 'commission_adjustments') }}
),

latest as (
    {{ latest_version('source', ['rep_id', 'period', 'reason']) }}
),

final as (
    select
        rep_id,
        period,
        amount,
        currency,
        reason,
        approved_by,
        _source_file,
        _source_line,
        _load_id
    from latest
)

select * from final
