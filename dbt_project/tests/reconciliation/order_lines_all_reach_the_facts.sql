{{ config(meta={"dagster": {"ref": {"name": "fct_order_lines"}}}) }}
-- Nothing is lost between staging and the facts: every staged order line (the newest version
-- of each key) is one fact line, orphans and cancelled lines included. Returns the
-- difference when there is one.
with staged as (
    select count(*) as lines from {{ ref('stg_orders__order_lines') }}
),

facts as (
    select count(*) as lines from {{ ref('fct_order_lines') }}
)

select staged.lines as staged_lines, facts.lines as fact_lines
from staged
cross join facts
where staged.lines <> facts.lines
