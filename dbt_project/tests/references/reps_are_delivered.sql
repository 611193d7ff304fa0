{{ config(store_failures=true, store_failures_as="view", schema="audit",
          meta={"dagster": {"ref": {"name": "stg_crm__reps"}}}) }}
-- Every rep id the other exports use is a rep of crm/reps. A rep id that is not (or no reps
-- file at all) would leave revenue, deals and quotas attributed to nobody in the rep KPIs, so
-- the build fails here, saying which export uses which ids and what to deliver, rather than
-- later on a relationship test between marts. One row per referring export. (A manager need
-- not be a rep: some CRMs export the sales agents only, naming their managers.)
with reps as (
    select rep_id from {{ ref('stg_crm__reps') }}
),

uses as (
    select 'crm/opportunities' as used_by, owner_rep_id as rep_id
        from {{ ref('stg_crm__opportunities') }}
    union all
    select 'crm/accounts', owner_rep_id from {{ ref('stg_crm__accounts') }}
    union all
    select 'crm/leads', owner_rep_id from {{ ref('stg_crm__leads') }}
    union all
    select 'crm/activities', rep_id from {{ ref('stg_crm__activities') }}
    union all
    select 'orders/orders', rep_id from {{ ref('stg_orders__orders') }}
    union all
    select 'plan/quotas', rep_id from {{ ref('stg_plan__quotas') }}
    union all
    select 'survey/responses', rep_id from {{ ref('stg_survey__responses') }}
    union all
    select 'survey/complaints', rep_id from {{ ref('stg_survey__complaints') }}
),

missing as (
    select distinct uses.used_by, uses.rep_id
    from uses
    where uses.rep_id is not null
        and uses.rep_id not in (select rep_id from reps)
),

per_export as (
    select
        used_by,
        count(*) as missing_rep_ids,
        {{ sorted_list("case when rn <= 5 then rep_id end", "', '") }} as examples
    from (
        select *, row_number() over (partition by used_by order by rep_id) as rn from missing
    ) as numbered
    group by used_by
),

no_reps as (
    select count(*) = 0 as is_empty from reps
)

-- No reps file at all: one row saying so; otherwise one row per export using unknown ids.
select
    '(all)' as used_by,
    sum(missing_rep_ids) as missing_rep_ids,
    {{ sorted_list("used_by || ' (' || cast(missing_rep_ids as string) || ')'", "', '") }}
        as examples,
    'no reps were delivered: deliver crm/reps (rep_id, rep_name, region, role; see '
        || 'SOURCE_CONTRACTS.md); rep ids are used by '
        || {{ sorted_list("used_by || ' (' || cast(missing_rep_ids as string) || ')'",
                          "', '") }} as problem
from per_export
where (select is_empty from no_reps)
having count(*) > 0

union all

select
    used_by,
    missing_rep_ids,
    examples,
    used_by || ' uses ' || cast(missing_rep_ids as string)
        || ' rep id(s) that crm/reps lacks, e.g. ' || examples
        || ': deliver crm/reps with them (or correct the ids in ' || used_by || ')' as problem
from per_export
where not (select is_empty from no_reps)
