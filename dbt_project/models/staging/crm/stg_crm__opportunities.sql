-- Opportunities, newest version per key. In a replay (--as-of), only deals created by the
-- replay day, in their newest version known then. A deal closed after the day, or an open
-- deal whose version was recorded after it, is shown as it stood that day: open, in the last
-- stage its history shows by the day (else prospecting), with the stage's default probability
-- and no forecast category (the CRM's were set later); a deletion recorded later is undone.
with source as (
    select * from {{ source('crm', 'opportunities') }}
    where {{ known_by_replay_day('created_date') }}
),

stage_map as (
    select * from {{ ref('stage_map') }}
),

latest as (
    {{ latest_version('source', ['opportunity_id'], 'updated_at', 'updated_date') }}
),

mapped as (
    select
        latest.*,
        stage_map.canonical_stage as mapped_stage,
        stage_map.stage_order as mapped_stage_order,
        stage_map.default_probability as mapped_probability
    from latest
    left join stage_map
        on lower(trim(latest.stage)) = stage_map.source_stage
),

{% if var('as_of_date', none) -%}
stage_by_replay_day as (
    -- The last open stage each deal had entered by the replay day.
    select opportunity_id, source_stage as stage from (
        select
            opportunity_id,
            source_stage,
            row_number() over (
                partition by opportunity_id order by entered_at desc, stage_order desc
            ) as position
        from {{ ref('stg_crm__opportunity_stage_history') }}
        where canonical_stage not in ('closed_won', 'closed_lost')
    ) as ranked
    where position = 1
),

replayed as (
    select
        -- (* except and the columns again, not DuckDB's * replace: Spark has no replace)
        mapped.* except (stage, probability, forecast_category, lost_reason, is_deleted),
        case when changed_later then coalesce(stage_by_replay_day.stage, 'Prospecting')
            else mapped.stage end as stage,
        case when changed_later then null else mapped.probability end as probability,
        case when changed_later then null else mapped.forecast_category end
            as forecast_category,
        case when changed_later then null else mapped.lost_reason end as lost_reason,
        case when not {{ known_by_replay_day('coalesce(updated_date, created_date)') }}
            then false else mapped.is_deleted end as is_deleted
    from (
        select
            *,
            -- A deal closed by the day stays closed (its close date says so); any other deal
            -- whose version was recorded after the day is rewound.
            case
                when mapped_stage in ('closed_won', 'closed_lost')
                    then not {{ known_by_replay_day('coalesce(close_date, updated_date)') }}
                else not {{ known_by_replay_day('coalesce(updated_date, created_date)') }}
            end as changed_later
        from mapped
    ) as mapped
    left join stage_by_replay_day
        on mapped.opportunity_id = stage_by_replay_day.opportunity_id
),

staged as (
    select
        replayed.* except (mapped_stage, mapped_stage_order, mapped_probability, changed_later),
        stage_map.canonical_stage,
        stage_map.stage_order,
        stage_map.default_probability
    from replayed
    left join stage_map
        on lower(trim(replayed.stage)) = stage_map.source_stage
),
{%- else %}
staged as (
    select
        * except (mapped_stage, mapped_stage_order, mapped_probability),
        mapped_stage as canonical_stage,
        mapped_stage_order as stage_order,
        mapped_probability as default_probability
    from mapped
),
{%- endif %}

final as (
    select
        opportunity_id,
        owner_rep_id,
        account_id,
        lead_id,
        created_at,
        created_date,
        close_date,
        updated_at,
        updated_date,
        stage as source_stage,
        canonical_stage,
        stage_order,
        -- The one probability rule (0-1), used by fct_opportunities and the pipeline
        -- snapshots alike: the CRM's own probability when the export has one, else the
        -- stage's default.
        coalesce(probability, default_probability) as probability,
        default_probability as stage_default_probability,
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
    from staged
)

select * from final
