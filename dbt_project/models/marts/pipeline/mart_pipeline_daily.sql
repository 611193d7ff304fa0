-- The pipeline replayed day by day from the stage history (METRICS.md §3). Grain: day x open
-- opportunity. A deal is open on a day from its creation until it closes; its stage that day is
-- the last one entered by the end of the day. A past day is valued as it stood that day, so
-- newer data never changes it: the amount at that day's FX rate, and the probability by the
-- one rule of fct_opportunities (the CRM's own, else the stage's default) from the day the CRM
-- recorded it (updated_at) while the deal is still in that stage; before, the stage's default.
-- Amounts are the deal's current amount (CRMs do not export amount history); unvalued deals
-- are kept with amount null and counted apart.
with days as (
    select date_day from {{ ref('dim_date') }} where is_past_or_today
),

opportunities as (
    select * from {{ ref('fct_opportunities') }} where not is_deleted
),

stage_map as (
    select distinct canonical_stage, stage_order, default_probability from {{ ref('stage_map') }}
),

history as (
    select opportunity_id, canonical_stage, entered_at, entered_date
    from {{ ref('stg_crm__opportunity_stage_history') }}
    where canonical_stage not in ('closed_won', 'closed_lost')
),

stage_spans as (
    -- Each open stage a deal was in, from its entry to the next entry.
    select
        opportunity_id,
        canonical_stage,
        entered_date as from_day,
        lead(entered_date) over (partition by opportunity_id order by entered_at) as to_day
    from history
),

open_days as (
    select
        days.date_day,
        opportunities.opportunity_id,
        opportunities.owner_rep_id,
        opportunities.close_date,
        opportunities.amount,
        opportunities.currency,
        opportunities.probability as current_probability,
        opportunities.updated_date,
        opportunities.canonical_stage as current_stage,
        opportunities.is_closed
    from opportunities
    inner join days
        on days.date_day >= opportunities.created_date
        and (not opportunities.is_closed or days.date_day < opportunities.close_date)
),

staged as (
    select
        open_days.*,
        -- Stage that day from the history; a deal without history is in its current stage.
        coalesce(spans.canonical_stage,
            case when not open_days.is_closed then open_days.current_stage end,
            'prospecting') as stage
    from open_days
    left join stage_spans as spans
        on open_days.opportunity_id = spans.opportunity_id
        and open_days.date_day >= spans.from_day
        and (spans.to_day is null or open_days.date_day < spans.to_day)
),

valued as (
    select
        staged.*,
        fx.rate_to_reporting,
        case
            when staged.stage = staged.current_stage and not staged.is_closed
                and staged.date_day >= staged.updated_date
                then staged.current_probability
            else stage_map.default_probability
        end as day_probability
    from staged
    left join stage_map on stage_map.canonical_stage = staged.stage
    left join {{ ref('int_fx_rates_daily') }} as fx
        on staged.currency = fx.currency and staged.date_day = fx.date_day
),

final as (
    select
        date_day,
        opportunity_id,
        owner_rep_id,
        stage,
        close_date as expected_close_date,
        cast(amount as decimal(18, 2)) as amount,
        currency,
        cast(rate_to_reporting as decimal(18, 8)) as rate_to_reporting,
        cast(cast(amount as decimal(38, 2)) * rate_to_reporting as decimal(38, 10))
            as open_amount,
        cast(day_probability as decimal(18, 8)) as probability,
        cast(cast(amount as decimal(38, 2)) * rate_to_reporting * day_probability
            as decimal(38, 18)) as weighted_amount,
        -- Unvalued: no amount, or no FX rate yet for its currency that day.
        amount is null or rate_to_reporting is null as is_unvalued
    from valued
)

select * from final
