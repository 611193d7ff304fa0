-- One row per opportunity, with the eligibility flags every metric uses (as columns, not
-- hidden filters, so a BI user sees why a deal counts). Deleted deals are kept and flagged.
-- win_probability comes from the newest run of the scoring job (sales-wh score, monthly), next
-- to the CRM's own probability.
with opportunities as (
    select * from {{ ref('int_opportunities') }}
),

leads as (
    select lead_id, source as lead_source from {{ ref('stg_crm__leads') }}
),

scored as (
    select * from {{ latest_win_probabilities() }}
),

final as (
    select
        opportunities.opportunity_id,
        opportunities.owner_rep_id,
        opportunities.account_id,
        opportunities.lead_id,
        coalesce(leads.lead_source, case when opportunities.lead_id is null
            then 'no_lead' else 'unknown' end) as lead_source,
        opportunities.product_id,
        opportunities.product_category,
        opportunities.channel,
        opportunities.created_at,
        opportunities.created_date,
        cast({{ dbt.date_trunc('month', 'opportunities.created_date') }} as date) as created_month,
        opportunities.close_date,
        opportunities.close_month,
        opportunities.updated_at,
        opportunities.updated_date,
        opportunities.source_stage,
        opportunities.canonical_stage,
        opportunities.stage_order,
        opportunities.probability,
        -- The deal model's, for a deal open now that was open at the newest scoring run.
        case when not opportunities.is_closed and not opportunities.is_deleted
            then scored.win_probability end as win_probability,
        opportunities.forecast_category,
        opportunities.currency,
        opportunities.amount,
        opportunities.rate_to_reporting,
        opportunities.amount_reporting,
        cast(opportunities.amount_reporting * opportunities.probability as decimal(38, 20))
            as weighted_amount_reporting,
        opportunities.lost_reason,
        case when opportunities.is_won then cast(
            {{ dbt.datediff('opportunities.created_date', 'opportunities.close_date', 'day') }}
            as bigint)
        end as sales_cycle_days,
        opportunities.is_deleted,
        opportunities.is_closed,
        opportunities.is_won,
        opportunities.is_lost,
        opportunities.is_win_rate_eligible,
        not opportunities.is_closed and not opportunities.is_deleted as is_open_pipeline,
        opportunities.amount is null as is_unvalued,
        opportunities.is_unknown_account,
        opportunities._source_file,
        opportunities._source_line
    from opportunities
    left join leads
        on opportunities.lead_id = leads.lead_id
    left join scored
        on opportunities.opportunity_id = scored.opportunity_id
)

select * from final
