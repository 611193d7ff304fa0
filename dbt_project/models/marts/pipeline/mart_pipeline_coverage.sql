-- Pipeline coverage per day x rep (METRICS.md §3): open pipeline expected to close in the
-- day's month / (the month's quota - bookings so far in the month). Null when the gap is not
-- positive (quota met, or no quota): coverage of nothing is undefined, not infinite.
with pipeline as (
    select * from {{ ref('mart_pipeline_daily') }}
),

days as (
    select date_day, month_start from {{ ref('dim_date') }} where is_past_or_today
),

closing_this_month as (
    select
        pipeline.date_day,
        pipeline.owner_rep_id as rep_id,
        sum(coalesce(pipeline.open_amount, 0)) as open_closing_in_month
    from pipeline
    inner join days on pipeline.date_day = days.date_day
    where pipeline.expected_close_date >= days.month_start
        and pipeline.expected_close_date <= {{ dbt.last_day('days.month_start', 'month') }}
    group by pipeline.date_day, pipeline.owner_rep_id
),

quotas as (
    select rep_id, month, quota_amount from {{ ref('mart_rep_kpis') }}
    where quota_amount is not null
),

won as (
    select owner_rep_id as rep_id, close_date, amount_reporting
    from {{ ref('fct_opportunities') }}
    where is_won and is_win_rate_eligible
),

final as (
    select
        days.date_day,
        quotas.rep_id,
        quotas.quota_amount,
        cast(coalesce(sum(won.amount_reporting), 0) as decimal(38, 12)) as bookings_to_date,
        cast(coalesce(max(closing.open_closing_in_month), 0) as decimal(38, 12))
            as open_pipeline_closing_in_month
    from days
    inner join quotas on days.month_start = quotas.month
    left join won
        on won.rep_id = quotas.rep_id
        and won.close_date >= days.month_start
        and won.close_date <= days.date_day
    left join closing_this_month as closing
        on closing.rep_id = quotas.rep_id and closing.date_day = days.date_day
    group by days.date_day, quotas.rep_id, quotas.quota_amount
)

select
    *,
    {{ safe_ratio('open_pipeline_closing_in_month', 'quota_amount - bookings_to_date') }}
        * case when quota_amount - bookings_to_date > 0 then 1 end as coverage
from final
order by date_day, rep_id
