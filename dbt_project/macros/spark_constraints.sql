{#- A model contract's not_null constraints on Spark. Spark's Parquet tables cannot declare
    them (only Delta's can, with ALTER COLUMN ... SET NOT NULL), so after the table is built
    its not_null columns are counted for NULLs and the model fails naming them, as the DuckDB
    build fails when a NOT NULL constraint is broken. -#}
{% macro spark__persist_constraints(relation, model) -%}
    {%- set contract_config = config.get('contract') -%}
    {%- if not (execute and contract_config and contract_config.enforced) -%}
        {{ return('') }}
    {%- endif -%}
    {%- set checked = [] -%}
    {%- for name, column in model.columns.items() -%}
        {%- if column.constraints | selectattr('type', 'equalto', 'not_null') | list -%}
            {%- do checked.append(name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if checked -%}
        {%- set counts = [] -%}
        {%- for name in checked -%}
            {%- do counts.append('count_if(' ~ adapter.quote(name) ~ ' is null)') -%}
        {%- endfor -%}
        {%- set found = run_query('select ' ~ counts | join(', ') ~ ' from ' ~ relation) -%}
        {%- set broken = [] -%}
        {%- for name in checked -%}
            {%- set nulls = found.rows[0][loop.index0] -%}
            {%- if nulls > 0 -%}{%- do broken.append(name ~ ' (' ~ nulls ~ ' rows)') -%}{%- endif -%}
        {%- endfor -%}
        {%- if broken -%}
            {{ exceptions.raise_compiler_error('NULL in not_null column(s) of ' ~ relation
                ~ ': ' ~ broken | join(', ') ~ ' (the model contract forbids it)') }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
