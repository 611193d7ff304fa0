-- Every version of every rep's record, as delivered over time: the sales hierarchy's history.
-- A version dates from the record's updated_at, or, when the export has none, from when its
-- file was loaded. The first version of a rep holds from the beginning of time (the CRM knew
-- no earlier state). Consecutive versions with the same hierarchy are merged.
with source as (
    select * from {{ source('crm', 'reps') }}
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
        coalesce(updated_at, _loaded_at) as changed_at,
        _load_id,
        _source_line
    from source
),

one_per_time as (
    -- The same version delivered in several files: keep the latest delivery of it.
    select * from (
        select
            *,
            row_number() over (
                partition by rep_id, changed_at order by _load_id desc, _source_line desc
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
            || coalesce(cast(end_date as varchar), '') as state
    from one_per_time
),

compared as (
    select
        *,
        lag(state) over (partition by rep_id order by changed_at) as previous_state
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
            when row_number() over (partition by rep_id order by changed_at) = 1
                then cast('1900-01-01 00:00:00' as timestamp)
            else changed_at
        end as valid_from,
        lead(changed_at) over (partition by rep_id order by changed_at) as valid_to
    from changes
)

select * from final
