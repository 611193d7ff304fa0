-- One row per calendar day over a fixed, generous range; marts cut it to the data's range.
-- Fixed bounds keep the build reproducible (no current_date).
with days as (
    {{ dbt.date_spine(
        datepart="day",
        start_date="cast('2000-01-01' as date)",
        end_date="cast('2041-01-01' as date)"
    ) }}
),

final as (
    select
        cast(date_day as date) as date_day,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start
    from days
)

select * from final
