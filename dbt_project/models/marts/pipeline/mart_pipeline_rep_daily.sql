-- The replayed pipeline summed per day x rep x stage (METRICS.md §3).
with pipeline as (
    select * from {{ ref('mart_pipeline_daily') }}
),

final as (
    select
        date_day,
        coalesce(owner_rep_id, '(unassigned)') as rep_id,
        stage,
        cast(count(*) as integer) as open_deals,
        cast(sum(case when is_unvalued then 1 else 0 end) as integer) as unvalued_deals,
        cast(coalesce(sum(open_amount), 0) as decimal(38, 12)) as open_amount,
        cast(coalesce(sum(weighted_amount), 0) as decimal(38, 12)) as weighted_amount
    from pipeline
    group by date_day, coalesce(owner_rep_id, '(unassigned)'), stage
)

select * from final
order by date_day, rep_id, stage
