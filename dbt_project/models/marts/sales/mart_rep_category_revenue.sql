-- Rep revenue by product category per month (METRICS.md §7, "revenue by product category").
-- Grain: month x rep x product category, for every combination with a non-cancelled order
-- line; revenue no (known) rep is credited with appears under '(unassigned)'. The hierarchy
-- columns are as they stood that month. Sums to mart_rep_kpis.net_revenue per month x rep.
with lines as (
    select * from {{ ref('fct_order_lines') }}
    where not is_cancelled and not is_orphan_line and order_date <= {{ as_of_date() }}
),

rep_months as (
    select * from {{ ref('int_rep_months') }}
),

by_category as (
    select
        order_month as month,
        coalesce(rep_id, '(unassigned)') as rep_id,
        product_category,
        sum(net_revenue_reporting) as net_revenue,
        count(distinct order_id) as orders,
        count(distinct account_id) as customers,
        sum(quantity - returned_quantity) as units_kept
    from lines
    group by 1, 2, 3
),

final as (
    select
        by_category.month,
        by_category.rep_id,
        by_category.product_category,
        rep_months.manager_id,
        rep_months.region,
        cast(by_category.net_revenue as decimal(38, 12)) as net_revenue,
        cast(by_category.orders as integer) as orders,
        cast(by_category.customers as integer) as customers,
        cast(by_category.units_kept as bigint) as units_kept
    from by_category
    left join rep_months
        on by_category.rep_id = rep_months.rep_id and by_category.month = rep_months.month
)

select * from final
order by month, rep_id, product_category
