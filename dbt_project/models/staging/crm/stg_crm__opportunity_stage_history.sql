with source as (
    select * from {{ source('crm', 'opportunity_stage_history') }}
    where {{ known_by_replay_day('entered_date') }}
),

stage_map as (
    select * from {{ ref('stage_map') }}
),

latest as (
    {{ latest_version('source', ['opportunity_id', 'stage', 'entered_at']) }}
),

final as (
    select
        latest.opportunity_id,
        latest.stage as source_stage,
        stage_map.canonical_stage,
        stage_map.stage_order,
        latest.entered_at,
        latest.entered_date,
        latest._source_file,
        latest._source_line,
        latest._load_id
    from latest
    left join stage_map
        on lower(trim(latest.stage)) = stage_map.source_stage
)

select * from final
