{#- Schemas are the warehouse's contract (staging, intermediate, marts): use them as named,
    without the target-schema prefix dbt adds by default. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
