-- Order fulfilment per month (handbook 6.4.2). Grain: ship month x channel x region x
-- carrier, for every combination with a shipment. Counts are additive, so BI can roll up
-- and recompute the rates from them; the medians and rates on each row are that row's own.
-- on_time_rate = delivered on time / delivered with a promised date. Late shipments are
-- those delivered after the promise plus those still in transit past it (fct_shipments).
with shipments as (
    select * from {{ ref('fct_shipments') }}
),

final as (
    select
        ship_month as month,
        channel,
        region,
        carrier,
        cast(count(*) as integer) as shipments,
        cast(count(distinct order_id) as integer) as orders_shipped,
        cast(count(*) filter (where is_delivered) as integer) as delivered,
        cast(count(*) filter (where status = 'in_transit') as integer) as in_transit,
        cast(count(*) filter (where is_on_time is not null) as integer)
            as delivered_with_promise,
        cast(count(*) filter (where is_on_time) as integer) as delivered_on_time,
        {{ safe_ratio('count(*) filter (where is_on_time)',
                      'count(*) filter (where is_on_time is not null)') }} as on_time_rate,
        cast(count(*) filter (where is_late) as integer) as late_shipments,
        cast(count(*) filter (where is_lost) as integer) as lost_shipments,
        cast(count(*) filter (where status = 'returned') as integer) as returned_shipments,
        cast({{ median('days_order_to_ship') }} as double) as median_days_order_to_ship,
        cast({{ median('days_ship_to_deliver') }} as double) as median_days_ship_to_deliver
    from shipments
    group by 1, 2, 3, 4
)

select * from final
order by month, channel, region, carrier
