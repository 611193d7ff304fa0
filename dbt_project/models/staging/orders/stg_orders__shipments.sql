-- Shipments (handbook 6.4.2), newest version per parcel. In a replay (--as-of), only parcels
-- shipped by the replay day, as known then: one delivered after it was still in transit.
-- A blank status is `delivered` when the parcel has a delivery time, else `in_transit`.
with source as (
    select * from {{ source('orders', 'shipments') }}
    where {{ known_by_replay_day('shipped_date') }}
),

latest as (
    {{ latest_version('source', ['shipment_id'], 'updated_at', 'updated_date') }}
),

typed as (
    select
        *,
        coalesce(
            status,
            case when delivered_at is not null then 'delivered' else 'in_transit' end
        ) as stated_status
    from latest
),

final as (
    select
        shipment_id,
        order_id,
        shipped_at,
        shipped_date,
        promised_at,
        promised_date,
        {{ as_known_by_replay_day('delivered_at', 'delivered_date') }} as delivered_at,
        {{ as_known_by_replay_day('delivered_date', 'delivered_date') }} as delivered_date,
        coalesce(nullif(trim(carrier), ''), '(unknown)') as carrier,
        {{ as_known_by_replay_day('stated_status', 'coalesce(delivered_date, updated_date, shipped_date)', "'in_transit'") }}
            as status,
        updated_at,
        _source_file,
        _source_line,
        _load_id
    from typed
)

select * from final
