-- The calendar: one row per day from the first month of data to the end of the year after
-- the as-of date, with calendar and fiscal periods. The fiscal year starts in the month given
-- by the fiscal_year_start_month var and is named by the calendar year in which it ends.
{% set fy_start = var('fiscal_year_start_month', 1) | int %}

with days as (
    select * from {{ ref('int_days') }}
),

bounds as (
    select
        min(first_day) as first_day
    from (
        select min(order_month) as first_day from {{ ref('int_order_lines') }}
        union all
        select min(cast({{ dbt.date_trunc('month', 'created_date') }} as date))
        from {{ ref('stg_crm__opportunities') }}
        union all
        select min(cast({{ dbt.date_trunc('month', 'created_date') }} as date))
        from {{ ref('stg_crm__leads') }}
        union all
        select {{ dbt.date_trunc('month', as_of_date()) }}
    ) as firsts
),

calendar as (
    select
        days.date_day,
        days.month_start,
        cast(extract(year from days.date_day) as integer) as calendar_year,
        cast(extract(month from days.date_day) as integer) as calendar_month,
        cast(extract(day from days.date_day) as integer) as day_of_month,
        -- ISO day of week: Monday = 1 ... Sunday = 7
        {{ iso_day_of_week('days.date_day') }} as day_of_week
    from days
    cross join bounds
    where days.date_day >= bounds.first_day
        and days.date_day < cast({{ dbt.dateadd('year', 2, dbt.date_trunc('year', as_of_date())) }} as date)
),

final as (
    select
        date_day,
        day_of_week,
        day_of_week in (6, 7) as is_weekend,
        cast({{ dbt.dateadd('day', '1 - day_of_week', 'date_day') }} as date) as week_start,
        day_of_month,
        month_start,
        cast({{ dbt.last_day('date_day', 'month') }} as date) as month_end,
        calendar_month,
        cast({{ integer_divide('calendar_month - 1', '3') }} + 1 as integer) as calendar_quarter,
        cast({{ dbt.date_trunc('quarter', 'date_day') }} as date) as quarter_start,
        calendar_year,
        cast({{ dbt.date_trunc('year', 'date_day') }} as date) as year_start,
        mod(calendar_month - {{ fy_start }} + 12, 12) + 1 as fiscal_month,
        cast({{ integer_divide('mod(calendar_month - ' ~ fy_start ~ ' + 12, 12)', '3') }} + 1 as integer)
            as fiscal_quarter,
        {% if fy_start == 1 -%}
        calendar_year
        {%- else -%}
        case when calendar_month >= {{ fy_start }} then calendar_year + 1 else calendar_year end
        {%- endif %} as fiscal_year,
        date_day <= {{ as_of_date() }} as is_past_or_today,
        date_day = {{ as_of_date() }} as is_as_of_date
    from calendar
)

select * from final
