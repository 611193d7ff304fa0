{{ config(severity='warn', meta={"dagster": {"ref": {"name": "fct_order_lines"}}}) }}
-- Lines with more units returned than sold. Ingest quarantines a return that exceeds its line
-- as loaded; this catches the rest (the line re-delivered with fewer units, or delivered after
-- its returns): the return is capped at the quantity (revenue never goes below zero) and the
-- excess flagged. A warning listing them for the order system.
select order_id, line_no, quantity, returned_quantity, excess_returned_quantity, _source_file,
    _source_line
from {{ ref('fct_order_lines') }}
where excess_returned_quantity > 0
