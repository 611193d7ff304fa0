-- One row per shipment (handbook 6.4.2 "发货与物流跟踪"): the parcel, its order's customer,
-- channel and region, and how the delivery went against the date promised to the customer.
-- Durations are in calendar days between business dates. A parcel is late when it was
-- delivered after the promised date, or is still in transit after it ("today" is the as-of
-- date); on time when delivered by the promised date. Shipments whose order is unknown are
-- kept and flagged (is_orphan).
with shipments as (
    select * from {{ ref('stg_orders__shipments') }}
),

orders as (
    select order_id, account_id, order_date, channel from {{ ref('fct_orders') }}
),

customers as (
    select account_id, region from {{ ref('dim_customer') }}
),

final as (
    select
        shipments.shipment_id,
        shipments.order_id,
        orders.account_id,
        coalesce(orders.channel, '(unknown)') as channel,
        coalesce(customers.region, '(unknown)') as region,
        shipments.carrier,
        orders.order_date,
        shipments.shipped_date,
        cast({{ dbt.date_trunc('month', 'shipments.shipped_date') }} as date) as ship_month,
        shipments.promised_date,
        shipments.delivered_date,
        shipments.status,
        cast({{ dbt.datediff('orders.order_date', 'shipments.shipped_date', 'day') }} as integer)
            as days_order_to_ship,
        cast({{ dbt.datediff('shipments.shipped_date', 'shipments.delivered_date', 'day') }}
            as integer) as days_ship_to_deliver,
        shipments.delivered_date is not null as is_delivered,
        case
            when shipments.delivered_date is null or shipments.promised_date is null then null
            else shipments.delivered_date <= shipments.promised_date
        end as is_on_time,
        coalesce(
            shipments.delivered_date > shipments.promised_date
            or (shipments.delivered_date is null and shipments.status = 'in_transit'
                and shipments.promised_date < {{ as_of_date() }}),
            false
        ) as is_late,
        shipments.status = 'lost' as is_lost,
        orders.order_id is null as is_orphan,
        shipments._source_file,
        shipments._source_line
    from shipments
    left join orders on shipments.order_id = orders.order_id
    left join customers on orders.account_id = customers.account_id
)

select * from final
