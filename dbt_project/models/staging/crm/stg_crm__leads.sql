-- Leads. Dates are business dates (the profile's time zone). A lead's steps after the replay
-- day (--as-of) had not happened yet: not qualified or converted then.
-- The one rule for "converted" (every mart uses is_converted): a conversion time, or the
-- status converted (CRMs that keep no conversion time); a converted lead was qualified.
with source as (
    select * from {{ source('crm', 'leads') }}
    where {{ known_by_replay_day('created_date') }}
),

latest as (
    {{ latest_version('source', ['lead_id']) }}
),

final as (
    select
        lead_id,
        created_at,
        created_date,
        source,
        campaign,
        {% if var('as_of_date', none) -%}
        case
            when status = 'converted' and not {{ known_by_replay_day('coalesce(converted_date, created_date)') }}
                then case when {{ known_by_replay_day('qualified_date') }} then 'qualified' else 'working' end
            when status = 'qualified' and not {{ known_by_replay_day('coalesce(qualified_date, created_date)') }}
                then 'working'
            else status
        end
        {%- else -%}
        status
        {%- endif %} as status,
        owner_rep_id,
        account_id,
        score,
        {{ as_known_by_replay_day('qualified_at', 'qualified_date') }} as qualified_at,
        {{ as_known_by_replay_day('qualified_date', 'qualified_date') }} as qualified_date,
        {{ as_known_by_replay_day('converted_at', 'converted_date') }} as converted_at,
        {{ as_known_by_replay_day('converted_date', 'converted_date') }} as converted_date,
        {{ as_known_by_replay_day('opportunity_id', 'coalesce(converted_date, created_date)') }}
            as opportunity_id,
        _source_file,
        _source_line,
        _load_id
    from latest
),

flagged as (
    select
        *,
        converted_at is not null or status = 'converted' as is_converted,
        qualified_at is not null or converted_at is not null
            or status in ('qualified', 'converted') as is_qualified
    from final
)

select * from flagged
