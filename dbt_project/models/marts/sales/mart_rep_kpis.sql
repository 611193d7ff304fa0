-- Rep KPIs per month (METRICS.md §7, handbook ch. 9.1). Grain: month x rep. The rules are in
-- int_kpi_events (what counts, when, for whom) and int_kpi_nodes (the figures).
-- Every employed rep appears every month with zeros rather than gaps; revenue and deals of no
-- (known) rep appear under rep_id '(unassigned)', so the mart reconciles with the facts.
-- Hierarchy columns are as they stood in that month.
with kpis as (
    select * from {{ ref('int_kpi_nodes') }} where level = 'rep'
),

rep_months as (
    select * from {{ ref('int_rep_months') }}
),

final as (
    select
        kpis.month,
        kpis.node as rep_id,
        rep_months.rep_name,
        rep_months.role,
        rep_months.manager_id,
        rep_months.team,
        rep_months.region,
        coalesce(rep_months.is_employed, false) as is_employed,
        {% for metric in kpi_columns() %}kpis.{{ metric }}{{ ',' if not loop.last }}
        {% endfor %}
    from kpis
    left join rep_months
        on kpis.node = rep_months.rep_id
        and kpis.month = rep_months.month
)

select * from final
order by month, rep_id
