-- Opportunities with amounts in the reporting currency: closed deals at the close date's rate
-- (bookings), open deals at the as-of date's rate (pipeline).
with opportunities as (
    select * from {{ ref('stg_crm__opportunities') }}
),

fx as (
    select * from {{ ref('int_fx_rates_daily') }}
),

dated as (
    select
        *,
        cast({{ dbt.date_trunc('month', 'close_date') }} as date) as close_month,
        case when is_closed then close_date else {{ as_of_date() }} end as amount_rate_date
    from opportunities
),

final as (
    select
        dated.*,
        fx.rate_to_reporting,
        cast(dated.amount as decimal(38, 4)) * fx.rate_to_reporting as amount_reporting,
        -- Win rate counts each closed, not deleted deal once, in its close month.
        dated.is_closed and not dated.is_deleted as is_win_rate_eligible
    from dated
    left join fx
        on dated.currency = fx.currency
        and dated.amount_rate_date = fx.date_day
)

select * from final
