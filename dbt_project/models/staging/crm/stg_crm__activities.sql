with source as (
    select * from {{ source('crm', 'activities') }}
    where {{ known_by_replay_day('occurred_date') }}
),

latest as (
    {{ latest_version('source', ['activity_id']) }}
),

final as (
    select
        activity_id,
        rep_id,
        type,
        occurred_at,
        occurred_date,
        account_id,
        opportunity_id,
        _source_file,
        _source_line,
        _load_id
    from latest
)

select * from final
