{#- The KPI columns of int_kpi_nodes that the rep, manager and region marts carry, in order.
    (The rules live in int_kpi_events and int_kpi_nodes; this is only the column list.) -#}
{% macro kpi_columns() -%}
    {{ return(["net_revenue", "net_revenue_new_customers", "net_revenue_existing_customers", "orders", "active_customers", "new_customers", "quota_amount", "attainment", "won_count", "lost_count", "win_rate", "win_rate_by_amount", "bookings_amount", "average_deal_size", "median_sales_cycle_days", "opportunities_created", "pipeline_created_amount", "leads_created", "leads_converted", "lead_conversion_rate", "activities", "customer_visits", "cross_sell_rate", "nps_responses", "nps", "csat_responses", "csat", "complaints", "complaints_per_100_orders", "customers_previous_month", "retention_rate"]) }}
{%- endmacro %}
