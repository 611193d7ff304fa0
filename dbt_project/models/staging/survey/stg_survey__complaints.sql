-- Complaints; in a replay (--as-of), those opened after the replay day are not known yet, and
-- one resolved after it was still open then.
with source as (
    select * from {{ source('survey', 'complaints') }}
    where {{ known_by_replay_day('opened_date') }}
),

latest as (
    {{ latest_version('source', ['complaint_id']) }}
),

attributed as (
    {{ with_attributed_rep('latest') }}
),

final as (
    select
        complaint_id,
        account_id,
        opened_at,
        opened_date,
        category,
        severity,
        {% if var('as_of_date', none) -%}
        case when not {{ known_by_replay_day('resolved_date') }} then 'open' else status end
        {%- else -%}status{%- endif %} as status,
        {{ as_known_by_replay_day('resolved_at', 'resolved_date') }} as resolved_at,
        {{ as_known_by_replay_day('resolved_date', 'resolved_date') }} as resolved_date,
        order_id,
        rep_id,
        attributed_rep_id,
        _source_file,
        _source_line,
        _load_id
    from attributed
)

select * from final
