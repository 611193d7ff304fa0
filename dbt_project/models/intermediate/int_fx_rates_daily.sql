-- One rate per currency and day: each published rate holds until the next one (weekends,
-- holidays, and days after the last published rate use the latest rate before them). The
-- reporting currency is 1 on every day. Days run to the end of the calendar (dim_date), so
-- plans for later months (quotas) convert too.
-- Facts join on (currency, day) equality, which stays fast at tens of millions of lines.
with rates as (
    select * from {{ ref('stg_plan__fx_rates') }}
    where currency <> '{{ var("reporting_currency") }}'
),

days as (
    select date_day from {{ ref('int_days') }}
    where date_day < cast({{ dbt.dateadd('year', 2, dbt.date_trunc('year', as_of_date())) }} as date)
),

validity as (
    select
        currency,
        rate_to_reporting,
        rate_date as valid_from,
        lead(rate_date) over (partition by currency order by rate_date) as valid_to
    from rates
),

foreign_days as (
    select
        days.date_day,
        validity.currency,
        validity.rate_to_reporting
    from validity
    inner join days
        on days.date_day >= validity.valid_from
        and (days.date_day < validity.valid_to or validity.valid_to is null)
),

reporting_days as (
    select
        date_day,
        '{{ var("reporting_currency") }}' as currency,
        cast(1 as decimal(18, 8)) as rate_to_reporting
    from days
),

final as (
    select * from foreign_days
    union all
    select * from reporting_days
)

select * from final
