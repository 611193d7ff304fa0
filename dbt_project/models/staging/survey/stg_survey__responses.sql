with source as (
    select * from {{ source('survey', 'responses') }}
    where {{ known_by_replay_day('submitted_date') }}
),

latest as (
    {{ latest_version('source', ['response_id']) }}
),

attributed as (
    {{ with_attributed_rep('latest') }}
),

final as (
    select
        response_id,
        account_id,
        submitted_at,
        submitted_date,
        survey_type,
        score,
        order_id,
        rep_id,
        attributed_rep_id,
        channel,
        comment,
        _source_file,
        _source_line,
        _load_id
    from attributed
)

select * from final
