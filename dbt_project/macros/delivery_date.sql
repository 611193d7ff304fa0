{#- The day a file was exported, from the date in its name (`crm/reps/2025-07-01.csv`,
    `reps_20250701.csv`); null when the name holds none. It dates records that carry no
    updated_at, deterministically: never the load's wall clock, which differs on every
    machine and rebuild. [0-9], not \d: Spark's SQL parser drops the backslash of '\d'. -#}
{% macro delivery_date(source_file) -%}
    coalesce(
        try_cast(regexp_extract({{ source_file }}, '([0-9]{4}-[0-9]{2}-[0-9]{2})[^/]*$', 1)
                 as date),
        {{ try_parse_yyyymmdd("regexp_extract(" ~ source_file ~ ", '([0-9]{8})[^/]*$', 1)") }}
    )
{%- endmacro %}
