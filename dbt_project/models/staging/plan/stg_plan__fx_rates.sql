with source as (
    select * from {{ source('plan', 'fx_rates') }}
),

latest as (
    {{ latest_version('source', ['rate_date', 'currency']) }}
),

final as (
    select
        rate_date,
        currency,
        rate_to_reporting,
        _source_file,
        _source_line,
        _load_id
    from latest
)

select * from final
