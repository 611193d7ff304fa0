-- FX rates; in a replay (--as-of), rates published after the replay day are not known yet.
with source as (
    select * from {{ source('plan', 'fx_rates') }}
    where {{ known_by_replay_day('rate_date') }}
),

latest as (
    {{ latest_version('source', ['rate_date', 'currency']) }}
),

final as (
    select
        rate_date,
        currency,
        rate_to_reporting,
        _source_file,
        _source_line,
        _load_id
    from latest
)

select * from final
