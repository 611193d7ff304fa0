-- Orders, newest version per key. In a replay (--as-of), only orders placed by the replay
-- day, in their newest version known then; one cancelled or returned after it was still
-- placed on that day.
with source as (
    select * from {{ source('orders', 'orders') }}
    where {{ known_by_replay_day('order_date') }}
),

latest as (
    {{ latest_version('source', ['order_id'], 'updated_at', 'updated_date') }}
),

final as (
    select
        order_id,
        account_id,
        order_date,
        channel,
        {{ as_known_by_replay_day('status', 'coalesce(updated_date, order_date)', "'placed'") }}
            as status,
        currency,
        updated_at,
        updated_date,
        rep_id,
        opportunity_id,
        _source_file,
        _source_line,
        _load_id
    from latest
)

select * from final
