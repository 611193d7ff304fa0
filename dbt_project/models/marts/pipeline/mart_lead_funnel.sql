-- The lead funnel (METRICS.md §1, handbook ch. 6). Grain: month x lead source x rep, where the
-- month is the leads' creation month (a cohort: each lead counts once, in every step it
-- reached) and the rep is the lead's owner. Steps: created -> qualified -> converted to an
-- opportunity -> won. Conversion of each step = reached the next step / reached this one.
-- Qualified and converted are staging's one rule (stg_crm__leads.is_qualified/is_converted),
-- the same the rep KPIs count. converted_to_won_rate is a lead-funnel step, not the rep KPI's
-- win rate (won / (won + lost) deals closed in a month).
with leads as (
    select
        lead_id,
        cast({{ dbt.date_trunc('month', 'created_date') }} as date) as month,
        coalesce(source, '(none)') as lead_source,
        coalesce(owner_rep_id, '(unassigned)') as rep_id,
        created_at,
        qualified_at,
        converted_at,
        converted_date,
        opportunity_id,
        is_qualified,
        is_converted
    from {{ ref('stg_crm__leads') }}
    where created_date <= {{ as_of_date() }}
),

won_by_lead as (
    -- A lead is won when an opportunity it became (by the lead's opportunity_id, or by the
    -- opportunity's lead_id) was won by the as-of date; the first such win dates it.
    select lead_key, min(close_date) as won_date
    from (
        select lead_id as lead_key, close_date from {{ ref('fct_opportunities') }}
        where is_won and not is_deleted and lead_id is not null
        union all
        select leads.lead_id as lead_key, opportunities.close_date
        from {{ ref('fct_opportunities') }} as opportunities
        inner join {{ ref('stg_crm__leads') }} as leads
            on opportunities.opportunity_id = leads.opportunity_id
        where opportunities.is_won and not opportunities.is_deleted
    ) as wins
    where close_date <= {{ as_of_date() }}
    group by lead_key
),

steps as (
    select
        leads.*,
        won_by_lead.lead_key is not null as is_won,
        won_by_lead.won_date
    from leads
    left join won_by_lead
        on leads.lead_id = won_by_lead.lead_key
),

final as (
    select
        month,
        lead_source,
        rep_id,
        cast(count(*) as integer) as leads_created,
        cast(sum(case when is_qualified then 1 else 0 end) as integer) as leads_qualified,
        cast(sum(case when is_converted then 1 else 0 end) as integer) as leads_converted,
        cast(sum(case when is_won then 1 else 0 end) as integer) as leads_won,
        {{ safe_ratio('sum(case when is_qualified then 1 else 0 end)', 'count(*)') }}
            as qualification_rate,
        {{ safe_ratio('sum(case when is_converted then 1 else 0 end)',
                      'sum(case when is_qualified then 1 else 0 end)') }} as conversion_rate,
        {{ safe_ratio('sum(case when is_won then 1 else 0 end)',
                      'sum(case when is_converted then 1 else 0 end)') }}
            as converted_to_won_rate,
        {{ safe_ratio('sum(case when is_won then 1 else 0 end)', 'count(*)') }}
            as lead_to_win_rate,
        cast({{ median("case when qualified_at is not null then "
            ~ elapsed_minutes('created_at', 'qualified_at') ~ " / 1440 end") }}
            as double) as median_days_to_qualify,
        cast({{ median("case when converted_at is not null and qualified_at is not null then "
            ~ elapsed_minutes('qualified_at', 'converted_at') ~ " / 1440 end") }}
            as double) as median_days_to_convert,
        cast({{ median("case when is_won and converted_date is not null then "
            ~ dbt.datediff('converted_date', 'won_date', 'day') ~ " end") }}
            as double) as median_days_to_win
    from steps
    group by month, lead_source, rep_id
)

select * from final
order by month, lead_source, rep_id
