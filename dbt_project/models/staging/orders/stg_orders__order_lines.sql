-- Order lines, newest version per key. Lines carry no date of their own: in a replay
-- (--as-of), the lines of orders placed after the replay day are not known yet. Lines whose
-- order was never delivered stay (flagged downstream), never dropped. Incremental: a build
-- recomputes only the orders new loads touched (every version of their lines), see
-- macros/incremental_orders.sql.
{{ config(**order_lines_incremental_config()) }}
{%- set watermark = increment_watermark() %}

with source as (
    select * from {{ source('orders', 'order_lines') }}
    where {{ order_known_by_replay_day('order_id') }}
    {%- if watermark is not none %}
        and order_id in ({{ orders_touched_since(watermark) }})
    {%- endif %}
),

latest as (
    {{ latest_version('source', ['order_id', 'line_no']) }}
),

final as (
    select
        order_id,
        line_no,
        product_id,
        quantity,
        unit_price,
        discount_amount,
        _source_file,
        _source_line,
        _load_id
    from latest
)

select * from final
