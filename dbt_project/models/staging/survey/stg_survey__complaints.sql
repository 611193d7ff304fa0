with source as (
    select * from {{ source('survey', 'complaints') }}
),

latest as (
    {{ latest_version('source', ['complaint_id']) }}
),

final as (
    select
        complaint_id,
        account_id,
        opened_at,
        category,
        severity,
        status,
        resolved_at,
        order_id,
        rep_id,
        _source_file,
        _source_line,
        _load_id
    from latest
)

select * from final
