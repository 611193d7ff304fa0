with source as (
    select * from {{ source('crm', 'opportunities') }}
),

stage_map as (
    select * from {{ ref('stage_map') }}
),

latest as (
    {{ latest_version('source', ['opportunity_id'], 'updated_at') }}
),

mapped as (
    select
        latest.*,
        stage_map.canonical_stage,
        stage_map.stage_order,
        stage_map.default_probability
    from latest
    left join stage_map
        on lower(trim(latest.stage)) = stage_map.source_stage
),

final as (
    select
        opportunity_id,
        owner_rep_id,
        account_id,
        lead_id,
        created_at,
        cast(created_at as date) as created_date,
        close_date,
        updated_at,
        stage as source_stage,
        canonical_stage,
        stage_order,
        -- The CRM's own probability when given, else the stage's default; always 0-1.
        coalesce(probability, default_probability) as probability,
        forecast_category,
        amount,
        coalesce(currency, '{{ var("reporting_currency") }}') as currency,
        channel,
        product_id,
        product_category,
        lost_reason,
        coalesce(is_deleted, false) as is_deleted,
        canonical_stage in ('closed_won', 'closed_lost') as is_closed,
        canonical_stage = 'closed_won' as is_won,
        canonical_stage = 'closed_lost' as is_lost,
        account_id is null as is_unknown_account,
        _source_file,
        _source_line,
        _load_id
    from mapped
)

select * from final
