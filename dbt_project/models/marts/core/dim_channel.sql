-- One row per channel: the channel map, plus any channel seen in orders or deals that the map
-- does not list yet (flagged, so BI shows it rather than losing its revenue).
with channel_map as (
    select * from {{ ref('channel_map') }}
),

seen as (
    select distinct channel from {{ ref('stg_orders__orders') }} where channel is not null
    union
    select distinct channel from {{ ref('stg_crm__opportunities') }} where channel is not null
),

final as (
    select
        coalesce(channel_map.channel, seen.channel) as channel,
        coalesce(channel_map.channel_name, seen.channel) as channel_name,
        coalesce(channel_map.channel_type, 'unmapped') as channel_type,
        coalesce(channel_map.is_indirect, false) as is_indirect,
        channel_map.channel is null as is_unmapped
    from channel_map
    full outer join seen
        on channel_map.channel = seen.channel
)

select * from final
