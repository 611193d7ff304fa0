-- One row per product, with the category used by the category-mix and cross-sell metrics.
-- Products that appear on order lines but not in the product export are kept, flagged.
with products as (
    select * from {{ ref('stg_orders__products') }}
),

sold as (
    select distinct product_id from {{ ref('stg_orders__order_lines') }}
),

final as (
    select
        coalesce(products.product_id, sold.product_id) as product_id,
        coalesce(products.product_name, sold.product_id) as product_name,
        coalesce(products.category, 'unknown') as category,
        products.list_price,
        products.unit_cost,
        products.currency,
        products.product_id is null as is_unknown_product
    from products
    full outer join sold
        on products.product_id = sold.product_id
)

select * from final
