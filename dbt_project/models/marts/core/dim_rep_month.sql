-- Each rep as they stood in each month (the version of their record in force at the month's
-- end, or on the as-of day for the current month), with the month's quota in the reporting
-- currency. Grain: rep x month. The rep KPI marts credit a month's events to the rep, manager
-- and region of this row; the semantic layer joins facts to it on rep_month_key
-- (rep_id@YYYY-MM of the event's month), so `rep__region` there means the same as the
-- region of mart_region_kpis.
with rep_months as (
    select * from {{ ref('int_rep_months') }}
),

quotas as (
    select rep_id, month, sum(amount) as quota_amount, count(*) as quotas
    from {{ ref('int_kpi_events') }}
    where event_type = 'quota'
    group by rep_id, month
),

final as (
    select
        rep_months.rep_id || '@' || {{ year_month_label('rep_months.month') }} as rep_month_key,
        rep_months.rep_id,
        rep_months.month,
        rep_months.rep_name,
        rep_months.role,
        rep_months.region,
        rep_months.team,
        rep_months.manager_id,
        rep_months.is_employed,
        cast(case when quotas.quotas > 0 then quotas.quota_amount end as decimal(38, 12))
            as quota_amount
    from rep_months
    left join quotas
        on rep_months.rep_id = quotas.rep_id and rep_months.month = quotas.month
    -- The calendar's months, as the KPI marts (a first version dates from 1900).
    where rep_months.month >= (select min(month_start) from {{ ref('dim_date') }})
)

select * from final
order by month, rep_id
