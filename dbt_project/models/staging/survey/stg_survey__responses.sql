with source as (
    select * from {{ source('survey', 'responses') }}
    where {{ known_by_replay_day('submitted_date') }}
),

accounts as (
    select account_id, owner_rep_id from {{ ref('stg_crm__accounts') }}
),

latest as (
    {{ latest_version('source', ['response_id']) }}
),

attributed as (
    -- The satisfaction rule, once (METRICS.md): the rep the record carries, else the
    -- account's owner. Every mart crediting satisfaction to a rep uses attributed_rep_id.
    select
        latest.*,
        coalesce(latest.rep_id, accounts.owner_rep_id) as attributed_rep_id
    from latest
    left join accounts on latest.account_id = accounts.account_id
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
