{#- "Today" of every mart, as a SQL expression: the as_of_date var when set, else the latest
    date in the loaded data (int_as_of_date). Never current_date: builds must be reproducible. -#}
{% macro as_of_date() -%}
    {%- if var('as_of_date', none) -%}
        cast('{{ var("as_of_date") }}' as date)
    {%- else -%}
        (select as_of_date from {{ ref('int_as_of_date') }})
    {%- endif -%}
{%- endmacro %}
