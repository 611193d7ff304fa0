with source as (
    select * from {{ source('crm', 'reps') }}
),

latest as (
    {{ latest_version('source', ['rep_id'], 'updated_at') }}
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
        _source_file,
        _source_line,
        _load_id
    from latest
)

select * from final
