-- The pipeline replayed day by day from the stage history (METRICS.md §3). Grain: day x open
-- opportunity. A deal is open on a day from its creation until it closes; its stage that day is
-- the last one entered by the end of the day, and its probability the stage's default (the
-- CRM's probability is only known for today). Amounts are the deal's current amount (CRMs do
-- not export amount history); unvalued deals are kept with amount null and counted apart.
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
    select opportunity_id, canonical_stage, entered_at
    from {{ ref('stg_crm__opportunity_stage_history') }}
    where canonical_stage not in ('closed_won', 'closed_lost')
),

stage_spans as (
    -- Each open stage a deal was in, from its entry to the next entry.
    select
        opportunity_id,
        canonical_stage,
        cast(entered_at as date) as from_day,
        cast(lead(entered_at) over (partition by opportunity_id order by entered_at) as date)
            as to_day
    from history
),

open_days as (
    select
        days.date_day,
        opportunities.opportunity_id,
        opportunities.owner_rep_id,
        opportunities.close_date,
        opportunities.amount_reporting,
        opportunities.canonical_stage as current_stage,
        opportunities.is_closed
    from opportunities
    inner join days
        on days.date_day >= opportunities.created_date
        and (not opportunities.is_closed or days.date_day < opportunities.close_date)
),

final as (
    select
        open_days.date_day,
        open_days.opportunity_id,
        open_days.owner_rep_id,
        -- Stage that day from the history; a deal without history is in its current stage.
        coalesce(spans.canonical_stage,
            case when not open_days.is_closed then open_days.current_stage end,
            'prospecting') as stage,
        open_days.close_date as expected_close_date,
        cast(open_days.amount_reporting as decimal(38, 12)) as open_amount,
        cast(stage_map.default_probability as decimal(9, 4)) as probability,
        cast(open_days.amount_reporting * stage_map.default_probability as decimal(38, 12))
            as weighted_amount,
        open_days.amount_reporting is null as is_unvalued
    from open_days
    left join stage_spans as spans
        on open_days.opportunity_id = spans.opportunity_id
        and open_days.date_day >= spans.from_day
        and (spans.to_day is null or open_days.date_day < spans.to_day)
    left join stage_map
        on stage_map.canonical_stage = coalesce(spans.canonical_stage,
            case when not open_days.is_closed then open_days.current_stage end, 'prospecting')
)

select * from final
