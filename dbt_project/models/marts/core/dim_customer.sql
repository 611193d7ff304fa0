-- One row per customer (account): classification, owner, first and last order. Customers
-- that buy but are missing from the accounts export are kept and flagged. Contact details
-- (PII) stay in staging.
with accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

orders as (
    select
        orders.account_id,
        min(first_orders.first_order_date) as first_order_date,
        max(orders.order_date) as last_order_date,
        count(*) as order_count
    from {{ ref('fct_orders') }} as orders
    inner join {{ ref('int_customer_first_orders') }} as first_orders
        on orders.account_id = first_orders.account_id
    where not orders.is_cancelled
    group by orders.account_id
),

all_customers as (
    select account_id from accounts
    union
    select account_id from orders
),

final as (
    select
        all_customers.account_id,
        accounts.account_name,
        accounts.region,
        accounts.country,
        accounts.industry,
        accounts.size_segment,
        accounts.owner_rep_id,
        accounts.created_at,
        orders.first_order_date,
        orders.last_order_date,
        coalesce(orders.order_count, 0) as order_count,
        accounts.account_id is null as is_unknown_account,
        orders.account_id is not null as is_customer
    from all_customers
    left join accounts
        on all_customers.account_id = accounts.account_id
    left join orders
        on all_customers.account_id = orders.account_id
)

select * from final
