-- "Today" of every mart: the as_of_date var when set (a replay), else the latest business
-- date in the loaded data (orders, deal updates and closes, leads), so a CRM-only or
-- leads-only warehouse has a today too. Open deals' expected close dates are in the future
-- and do not count.
with order_dates as (
    select max(order_date) as latest from {{ ref('stg_orders__orders') }}
),

opportunity_dates as (
    select max(updated_date) as latest
    from {{ ref('stg_crm__opportunities') }}
),

closed_dates as (
    select max(close_date) as latest
    from {{ ref('stg_crm__opportunities') }}
    where is_closed
),

lead_dates as (
    select max(created_date) as latest from {{ ref('stg_crm__leads') }}
),

latest_in_data as (
    select
        cast(
            greatest(
                coalesce(order_dates.latest, cast('1900-01-01' as date)),
                coalesce(opportunity_dates.latest, cast('1900-01-01' as date)),
                coalesce(closed_dates.latest, cast('1900-01-01' as date)),
                coalesce(lead_dates.latest, cast('1900-01-01' as date))
            ) as date
        ) as as_of_date
    from order_dates
    cross join opportunity_dates
    cross join closed_dates
    cross join lead_dates
),

final as (
    select
        {% if var('as_of_date', none) -%}
        {{ replay_day() }}
        {%- else -%}
        as_of_date
        {%- endif %} as as_of_date
    from latest_in_data
)

select * from final
