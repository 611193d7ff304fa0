{{ config(meta={"dagster": {"ref": {"name": "mart_rep_kpis"}}}) }}
-- "Converted" means one thing (stg_crm__leads.is_converted): the lead funnel and the rep KPIs
-- count the same converted leads per month and owner. Returns the months and reps that differ.
with funnel as (
    select month, rep_id, sum(leads_created) as created, sum(leads_converted) as converted
    from {{ ref('mart_lead_funnel') }}
    group by month, rep_id
),

kpis as (
    select month, rep_id, leads_created as created, leads_converted as converted
    from {{ ref('mart_rep_kpis') }}
    where leads_created > 0
)

select
    coalesce(funnel.month, kpis.month) as month,
    coalesce(funnel.rep_id, kpis.rep_id) as rep_id,
    funnel.created as funnel_created,
    kpis.created as kpi_created,
    funnel.converted as funnel_converted,
    kpis.converted as kpi_converted
from funnel
full outer join kpis on funnel.month = kpis.month and funnel.rep_id = kpis.rep_id
where coalesce(funnel.converted, -1) <> coalesce(kpis.converted, -1)
    or coalesce(funnel.created, -1) <> coalesce(kpis.created, -1)
