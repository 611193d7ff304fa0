{{ config(severity='warn', meta={"dagster": {"ref": {"name": "fct_order_lines"}}}) }}
-- Order lines whose order is not in the orders export: kept in fct_order_lines (flagged
-- is_orphan_line) with no revenue until the order arrives. A warning, listing each file and
-- line, so the order system's export can be completed.
select order_id, line_no, _source_file, _source_line
from {{ ref('fct_order_lines') }}
where is_orphan_line
