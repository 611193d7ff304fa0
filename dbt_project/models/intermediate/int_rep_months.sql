-- Rep x month with the hierarchy as it stood at the end of that month (or on the as-of day
-- for the current month): the version of the rep's record in force then.
with versions as (
    select * from {{ ref('int_rep_versions') }}
),

months as (
    select distinct
        month_start,
        cast({{ dbt.last_day('month_start', 'month') }} as date) as month_end
    from {{ ref('int_days') }}
    where month_start <= {{ as_of_date() }}
),

final as (
    select
        months.month_start as month,
        versions.rep_id,
        versions.rep_name,
        versions.role,
        versions.region,
        versions.team,
        versions.manager_id,
        versions.hire_date,
        versions.end_date,
        (versions.hire_date is null
            or versions.hire_date <= months.month_end)
        and (versions.end_date is null or versions.end_date >= months.month_start)
            as is_employed
    from months
    inner join versions
        on versions.valid_from < cast({{ dbt.dateadd('day', 1, 'least(months.month_end, ' ~ as_of_date() ~ ')') }} as timestamp)
        and (versions.valid_to is null
            or versions.valid_to >= cast({{ dbt.dateadd('day', 1, 'least(months.month_end, ' ~ as_of_date() ~ ')') }} as timestamp))
)

select * from final
