-- Rep KPIs rolled up to the region each rep belonged to in each month.
-- Grain: month x region. Figures are the region's own (int_kpi_nodes).
with kpis as (
    select * from {{ ref('int_kpi_nodes') }} where level = 'region'
),

final as (
    select
        kpis.month,
        kpis.node as region,
        {% for metric in kpi_columns() %}kpis.{{ metric }}{{ ',' if not loop.last }}
        {% endfor %}
    from kpis
)

select * from final
order by month, region
