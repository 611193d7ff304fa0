-- Returns by product category and channel per month (handbook 6.4.2 "订单变更与退货").
-- Grain: order month x channel x product category, for every combination with a
-- non-cancelled order line. return_rate = units returned / units sold (a credit line's
-- negative units count as sold units taken back, as in the facts); money in the reporting
-- currency, by order month like revenue; returned_amount is the net amount of the returned
-- units, net_revenue what was kept.
with lines as (
    select * from {{ ref('fct_order_lines') }}
    where not is_cancelled and not is_orphan_line and order_date <= {{ as_of_date() }}
),

final as (
    select
        order_month as month,
        channel,
        product_category,
        cast(count(distinct order_id) as integer) as orders,
        cast(count(*) as integer) as order_lines,
        cast(count(*) filter (where is_returned) as integer) as returned_lines,
        cast(sum(quantity) as bigint) as units_sold,
        cast(sum(returned_quantity) as bigint) as units_returned,
        {{ safe_ratio('sum(returned_quantity)', 'sum(quantity)') }} as return_rate,
        -- Each line's returned share at its order date's rate, cut to 12 decimals like
        -- net_revenue_reporting (int_order_lines).
        cast(sum(cast(return_amount * rate_to_reporting as decimal(38, 12)))
            as decimal(38, 12)) as returned_amount,
        cast(sum(net_revenue_reporting) as decimal(38, 12)) as net_revenue
    from lines
    group by 1, 2, 3
)

select * from final
order by month, channel, product_category
