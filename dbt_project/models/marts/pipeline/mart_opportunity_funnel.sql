-- The opportunity funnel (METRICS.md §2). Grain: cohort month (the deals' creation month) x
-- canonical stage. For each stage: deals that entered it, deals that went on to any later
-- stage (skipping stages counts; losing does not), the stage-to-next conversion, and the
-- median days spent in the stage. Entries come from the stage history; a deal without
-- history counts in its current stage (entered when created, or when closed).
with stages as (
    select distinct canonical_stage, stage_order from {{ ref('stage_map') }}
),

opportunities as (
    select * from {{ ref('fct_opportunities') }}
    where not is_deleted and created_date <= {{ as_of_date() }}
),

history as (
    select history.opportunity_id, history.canonical_stage, history.stage_order,
        min(history.entered_at) as entered_at
    from {{ ref('stg_crm__opportunity_stage_history') }} as history
    inner join opportunities on history.opportunity_id = opportunities.opportunity_id
    where history.entered_date <= {{ as_of_date() }}
    group by history.opportunity_id, history.canonical_stage, history.stage_order
),

entries as (
    select * from history
    union all
    select
        opportunity_id,
        canonical_stage,
        stage_order,
        case when is_closed then cast(close_date as timestamp) else created_at end as entered_at
    from opportunities
    where opportunity_id not in (select opportunity_id from history)
),

timed as (
    select
        entries.*,
        opportunities.created_month as cohort_month,
        lead(entries.entered_at) over (
            partition by entries.opportunity_id order by entries.entered_at, entries.stage_order
        ) as left_at,
        max(case when entries.canonical_stage <> 'closed_lost' then entries.stage_order end)
            over (partition by entries.opportunity_id) as furthest_progress
    from entries
    inner join opportunities on entries.opportunity_id = opportunities.opportunity_id
),

per_stage as (
    select
        cohort_month,
        canonical_stage,
        count(distinct opportunity_id) as entered,
        count(distinct case when furthest_progress > stage_order then opportunity_id end)
            as reached_later_stage,
        {{ median("case when left_at is not null then "
            ~ elapsed_minutes('entered_at', 'left_at') ~ " / 1440 end") }}
            as median_days_in_stage
    from timed
    group by cohort_month, canonical_stage
),

cohorts as (
    select distinct created_month as cohort_month from opportunities
),

final as (
    select
        cohorts.cohort_month,
        stages.canonical_stage,
        cast(stages.stage_order as integer) as stage_order,
        cast(coalesce(per_stage.entered, 0) as integer) as entered,
        cast(coalesce(per_stage.reached_later_stage, 0) as integer) as reached_later_stage,
        case when stages.canonical_stage not in ('closed_won', 'closed_lost') then
            {{ safe_ratio('per_stage.reached_later_stage', 'per_stage.entered') }}
        end as conversion_to_later_stage,
        cast(per_stage.median_days_in_stage as double) as median_days_in_stage
    from cohorts
    cross join stages
    left join per_stage
        on cohorts.cohort_month = per_stage.cohort_month
        and stages.canonical_stage = per_stage.canonical_stage
)

select * from final
order by cohort_month, stage_order, canonical_stage
