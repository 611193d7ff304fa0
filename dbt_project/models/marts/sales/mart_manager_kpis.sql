-- Rep KPIs rolled up to the manager the reps reported to in each month (team level).
-- Grain: month x manager. Figures are the team's own (int_kpi_nodes), never averages of reps.
with kpis as (
    select * from {{ ref('int_kpi_nodes') }} where level = 'manager'
),

managers as (
    select rep_id, rep_name, region from {{ ref('stg_crm__reps') }}
),

final as (
    select
        kpis.month,
        kpis.node as manager_id,
        managers.rep_name as manager_name,
        managers.region as manager_region,
        {% for metric in kpi_columns() %}kpis.{{ metric }}{{ ',' if not loop.last }}
        {% endfor %}
    from kpis
    left join managers
        on kpis.node = managers.rep_id
)

select * from final
order by month, manager_id
