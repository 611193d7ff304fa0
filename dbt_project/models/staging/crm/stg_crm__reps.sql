-- Reps, newest version per key. A version dates from its updated_at, else from the date in
-- its file's name (delivery_date); in a replay (--as-of) versions dated later are ignored.
with source as (
    select
        *,
        coalesce(updated_at, cast({{ delivery_date('_source_file') }} as timestamp))
            as version_at,
        coalesce(updated_date, {{ delivery_date('_source_file') }}) as version_date
    from {{ source('crm', 'reps') }}
),

known as (
    select * from source
    where version_date is null or {{ known_by_replay_day('version_date') }}
),

latest as (
    {{ latest_version('known', ['rep_id'], 'version_at') }}
),

final as (
    select
        rep_id,
        rep_name,
        region,
        role,
        manager_id,
        team,
        email,
        hire_date,
        end_date,
        updated_at,
        version_at,
        version_date,
        _source_file,
        _source_line,
        _load_id
    from latest
)

select * from final
