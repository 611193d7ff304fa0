{#- "Today" of every mart, as a SQL expression: int_as_of_date, which holds the as_of_date var
    when set, else the latest date in the loaded data. Never current_date: builds must be
    reproducible. Always a ref (never the var inlined): the graph dbt runs must not depend on
    the vars, or Dagster's manifest (parsed without them) would order the models differently. -#}
{% macro as_of_date() -%}
    (select as_of_date from {{ ref('int_as_of_date') }})
{%- endmacro %}

{#- The replay day set by --as-of, as a SQL date literal; none when building "today". Staging
    uses it to keep only what was known by that day (it cannot use int_as_of_date, which is
    computed from staging). -#}
{% macro replay_day() -%}
    {%- if var('as_of_date', none) -%}cast('{{ var("as_of_date") }}' as date){%- endif -%}
{%- endmacro %}

{#- A condition: `day` (a business date) was known by the replay day; true without --as-of. -#}
{% macro known_by_replay_day(day) -%}
    {%- if var('as_of_date', none) -%}({{ day }} <= {{ replay_day() }}){%- else -%}true{%- endif -%}
{%- endmacro %}

{#- `value` when `day` was known by the replay day, else `otherwise` (a later event of a record
    that already existed: a lead converted after the replay day was not converted yet). -#}
{% macro as_known_by_replay_day(value, day, otherwise='null') -%}
    {%- if var('as_of_date', none) -%}
        case when {{ day }} <= {{ replay_day() }} then {{ value }} else {{ otherwise }} end
    {%- else -%}{{ value }}{%- endif -%}
{%- endmacro %}

{#- A condition on an order id: its order was placed by the replay day (or is not known at
    all: such lines stay, flagged as orphans downstream); true without --as-of. For the rows
    of an order that carry no date of their own (lines, payments). -#}
{% macro order_known_by_replay_day(order_id) -%}
    {%- if var('as_of_date', none) -%}
    {{ order_id }} not in (
        select order_id from {{ source('orders', 'orders') }}
        group by order_id
        having min(order_date) > {{ replay_day() }}
    )
    {%- else -%}true{%- endif -%}
{%- endmacro %}
