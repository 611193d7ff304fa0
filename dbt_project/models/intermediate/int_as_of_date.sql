-- "Today" when the as_of_date var is not set: the latest business date in the loaded data.
-- Open deals' expected close dates are in the future and do not count.
with order_dates as (
    select max(order_date) as latest from {{ ref('stg_orders__orders') }}
),

opportunity_dates as (
    select max(cast(updated_at as date)) as latest
    from {{ ref('stg_crm__opportunities') }}
),

closed_dates as (
    select max(close_date) as latest
    from {{ ref('stg_crm__opportunities') }}
    where is_closed
),

final as (
    select
        cast(
            coalesce(
                greatest(
                    coalesce(order_dates.latest, cast('1900-01-01' as date)),
                    coalesce(opportunity_dates.latest, cast('1900-01-01' as date)),
                    coalesce(closed_dates.latest, cast('1900-01-01' as date))
                ),
                cast('1900-01-01' as date)
            ) as date
        ) as as_of_date
    from order_dates
    cross join opportunity_dates
    cross join closed_dates
)

select * from final
