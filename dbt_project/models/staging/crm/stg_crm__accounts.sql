with source as (
    select * from {{ source('crm', 'accounts') }}
    where {{ known_by_replay_day('created_date') }}
),

latest as (
    {{ latest_version('source', ['account_id']) }}
),

final as (
    select
        account_id,
        account_name,
        region,
        created_at,
        created_date,
        industry,
        size_segment,
        country,
        owner_rep_id,
        contact_email,
        contact_phone,
        _source_file,
        _source_line,
        _load_id
    from latest
)

select * from final
