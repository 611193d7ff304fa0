{#- What DuckDB and Spark spell differently, in one place (issue 14). Everything else in the
    models is SQL both engines read the same way, or dbt's own cross-database macros
    (dbt.datediff, dbt.date_trunc, dbt.date_spine...). -#}


{#- An integer type wide enough for money scaled to integers and multiplied: DuckDB's 128-bit
    HUGEINT; Spark has no 128-bit integer, and DECIMAL(38, 0) holds the same 38 digits. -#}
{% macro wide_integer() -%}
    {{ return(adapter.dispatch('wide_integer')()) }}
{%- endmacro %}

{% macro default__wide_integer() -%}hugeint{%- endmacro %}

{% macro spark__wide_integer() -%}decimal(38, 0){%- endmacro %}


{#- A date written as YYYYMMDD, parsed; NULL when it is not one. -#}
{% macro try_parse_yyyymmdd(text) -%}
    {{ return(adapter.dispatch('try_parse_yyyymmdd')(text)) }}
{%- endmacro %}

{% macro default__try_parse_yyyymmdd(text) -%}
    cast(try_strptime({{ text }}, '%Y%m%d') as date)
{%- endmacro %}

{% macro spark__try_parse_yyyymmdd(text) -%}
    cast(try_to_timestamp({{ text }}, 'yyyyMMdd') as date)
{%- endmacro %}


{#- The ISO day of the week: 1 = Monday .. 7 = Sunday. -#}
{% macro iso_day_of_week(day) -%}
    {{ return(adapter.dispatch('iso_day_of_week')(day)) }}
{%- endmacro %}

{% macro default__iso_day_of_week(day) -%}
    cast(extract(isodow from {{ day }}) as integer)
{%- endmacro %}

{% macro spark__iso_day_of_week(day) -%}
    cast(extract(dayofweek_iso from {{ day }}) as integer)
{%- endmacro %}


{#- A month as text, 'YYYY-MM'. -#}
{% macro year_month_label(day) -%}
    {{ return(adapter.dispatch('year_month_label')(day)) }}
{%- endmacro %}

{% macro default__year_month_label(day) -%}
    strftime({{ day }}, '%Y-%m')
{%- endmacro %}

{% macro spark__year_month_label(day) -%}
    date_format({{ day }}, 'yyyy-MM')
{%- endmacro %}


{#- The values of a group joined into one text, in ascending order of the values themselves
    (dbt.listagg cannot order on Spark; the order makes the text reproducible). -#}
{% macro sorted_list(measure, delimiter) -%}
    {{ return(adapter.dispatch('sorted_list')(measure, delimiter)) }}
{%- endmacro %}

{% macro default__sorted_list(measure, delimiter) -%}
    string_agg({{ measure }}, {{ delimiter }} order by {{ measure }})
{%- endmacro %}

{% macro spark__sorted_list(measure, delimiter) -%}
    array_join(array_sort(collect_list({{ measure }})), {{ delimiter }})
{%- endmacro %}


{#- The time elapsed from one timestamp to another, in minutes with the fraction kept (a
    DOUBLE). Not dbt.datediff('minute'): DuckDB counts the minute boundaries crossed and
    Spark rounds the seconds up, so the same interval gave different medians. -#}
{% macro elapsed_minutes(start, stop) -%}
    {{ return(adapter.dispatch('elapsed_minutes')(start, stop)) }}
{%- endmacro %}

{% macro default__elapsed_minutes(start, stop) -%}
    (cast(epoch_us({{ stop }}) - epoch_us({{ start }}) as double) / 60000000)
{%- endmacro %}

{% macro spark__elapsed_minutes(start, stop) -%}
    (cast(unix_micros({{ stop }}) - unix_micros({{ start }}) as double) / 60000000)
{%- endmacro %}


{#- Calendar months from one date to another, counting month boundaries (Jan 31 -> Apr 30 is
    3). Not dbt.datediff('month'): on Spark it is built on months_between, which calls two
    month-ends a whole month apart, so the same dates gave 4. -#}
{% macro calendar_months_between(start, stop) -%}
    cast((year({{ stop }}) - year({{ start }})) * 12 + month({{ stop }}) - month({{ start }})
         as bigint)
{%- endmacro %}
