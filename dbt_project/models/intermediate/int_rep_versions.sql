-- Every version of every rep's record, as delivered over time: the sales hierarchy's history.
-- A version dates from the business date of the record's updated_at (the profile's zone),
-- else from the date in its file's name; a version with neither has no date and is the rep's
-- record from the beginning. Versions hold by day: from their day to the next version's day
-- (several changes on one day: the last of them). The first version of a rep holds from the
-- beginning of time (the CRM knew no earlier state). Consecutive versions with the same
-- hierarchy are merged. In a replay (--as-of) versions dated after the replay day are not
-- known.
with source as (
    select
        *,
        coalesce(updated_at, cast({{ delivery_date('_source_file') }} as timestamp),
            cast('1900-01-01 00:00:00' as timestamp)) as changed_at,
        coalesce(updated_date, {{ delivery_date('_source_file') }}) as changed_date,
        coalesce(updated_date, {{ delivery_date('_source_file') }},
            cast('1900-01-01' as date)) as changed_day
    from {{ source('crm', 'reps') }}
),

dated as (
    select
        rep_id,
        rep_name,
        region,
        role,
        manager_id,
        team,
        hire_date,
        end_date,
        changed_at,
        changed_day,
        _load_id,
        _source_line
    from source
    where changed_date is null or {{ known_by_replay_day('changed_date') }}
),

one_per_time as (
    -- One version per rep and day: the last change of the day, in its latest delivery.
    select * from (
        select
            *,
            row_number() over (
                partition by rep_id, changed_day
                order by changed_at desc, _load_id desc, _source_line desc
            ) as delivery_rank
        from dated
    ) as ranked
    where delivery_rank = 1
),

with_state as (
    -- The attributes a hierarchy version is made of, as one comparable value.
    select
        *,
        coalesce(region, '') || '|' || coalesce(role, '') || '|' || coalesce(manager_id, '')
            || '|' || coalesce(team, '') || '|' || coalesce(rep_name, '') || '|'
            || coalesce(cast(end_date as string), '') as state
    from one_per_time
),

compared as (
    select
        *,
        lag(state) over (partition by rep_id order by changed_day) as previous_state
    from with_state
),

changes as (
    select * from compared
    where previous_state is null or previous_state <> state
),

final as (
    select
        rep_id,
        rep_name,
        region,
        role,
        manager_id,
        team,
        hire_date,
        end_date,
        case
            when row_number() over (partition by rep_id order by changed_day) = 1
                then cast('1900-01-01 00:00:00' as timestamp)
            else cast(changed_day as timestamp)
        end as valid_from,
        cast(lead(changed_day) over (partition by rep_id order by changed_day) as timestamp)
            as valid_to
    from changes
)

select * from final
