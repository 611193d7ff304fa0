with source as (
    select * from {{ source('orders', 'returns') }}
    where {{ known_by_replay_day('returned_date') }}
),

latest as (
    {{ latest_version('source', ['return_id']) }}
),

final as (
    select
        return_id,
        order_id,
        line_no,
        returned_at,
        returned_date,
        quantity,
        reason,
        _source_file,
        _source_line,
        _load_id
    from latest
)

select * from final
