-- Rep KPIs rolled up to the region each rep belonged to in each month.
-- Grain: month x region. Ratios and medians are recomputed from the region's own events.
with kpis as (
    {{ kpi_rollup('region') }}
),

final as (
    select
        kpis.month,
        kpis.node as region,
        {% for metric in kpi_metrics() %}kpis.{{ metric }}{{ ',' if not loop.last }}
        {% endfor %}
    from kpis
)

select * from final
order by month, region
