-- Reps with their hierarchy history: one row per rep and version (valid_from <= t < valid_to).
-- `is_current` marks the version in force now; join on a date to get the hierarchy as it stood
-- then. Contact details stay in staging (PII).
with versions as (
    select * from {{ ref('int_rep_versions') }}
),

current_names as (
    select rep_id, rep_name from {{ ref('stg_crm__reps') }}
),

final as (
    select
        versions.rep_id || '@' || cast(versions.valid_from as string)
            as rep_version_key,
        versions.rep_id,
        versions.rep_name,
        versions.role,
        versions.region,
        versions.team,
        versions.manager_id,
        managers.rep_name as manager_name,
        versions.hire_date,
        versions.end_date,
        versions.valid_from,
        versions.valid_to,
        versions.valid_to is null as is_current
    from versions
    left join current_names as managers
        on versions.manager_id = managers.rep_id
)

select * from final
