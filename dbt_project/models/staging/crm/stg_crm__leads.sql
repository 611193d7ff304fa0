with source as (
    select * from {{ source('crm', 'leads') }}
),

latest as (
    {{ latest_version('source', ['lead_id']) }}
),

final as (
    select
        lead_id,
        created_at,
        source,
        status,
        owner_rep_id,
        account_id,
        score,
        qualified_at,
        converted_at,
        opportunity_id,
        _source_file,
        _source_line,
        _load_id
    from latest
)

select * from final
