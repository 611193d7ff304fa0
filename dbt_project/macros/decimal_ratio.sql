{#- numerator / denominator as an exact DECIMAL(38, scale), rounded half away from zero at the
    last place; NULL when the denominator is zero or NULL. DuckDB divides DECIMALs as DOUBLE
    (binary floats), so money ratios (average order value, a returned share, an allocation)
    are computed in integers: both operands are scaled to integers (`operand_scale`: the
    decimal places they carry at most, 12 by default), divided with integer floor division,
    and the result scaled back by a DECIMAL multiplication, never a division. -#}
{% macro decimal_ratio(numerator, denominator, scale=12, operand_scale=12) -%}
    {{ return(adapter.dispatch('decimal_ratio')(numerator, denominator, scale, operand_scale)) }}
{%- endmacro %}

{% macro default__decimal_ratio(numerator, denominator, scale, operand_scale) -%}
    {%- set n = "cast(cast(" ~ numerator ~ " as decimal(38, " ~ operand_scale ~ ")) * "
        ~ "cast(1e" ~ operand_scale ~ " as decimal(38, 0)) as " ~ wide_integer() ~ ")" -%}
    {%- set d = "cast(cast(" ~ denominator ~ " as decimal(38, " ~ operand_scale ~ ")) * "
        ~ "cast(1e" ~ operand_scale ~ " as decimal(38, 0)) as " ~ wide_integer() ~ ")" -%}
    case when {{ denominator }} <> 0 then
        cast(
            -- the sign as an integer: Spark's sign() is a DOUBLE, which would round the
            -- quotient to 16 digits
            case when ({{ numerator }} < 0) = ({{ denominator }} < 0) then 1 else -1 end
            * {{ wide_floor_divide('2 * abs(' ~ n ~ ') * cast(1e' ~ scale ~ ' as '
                                   ~ wide_integer() ~ ') + abs(' ~ d ~ ')', '2 * abs(' ~ d ~ ')') }}
        as decimal(38, 0)) * cast(1e-{{ scale }} as decimal(38, {{ scale }}))
    end
{%- endmacro %}


{#- Floor division of non-negative wide_integer() operands, exact: DuckDB's `//` on HUGEINT;
    on Spark the remainder taken off first, so the DECIMAL division that follows is exact
    (Spark's `div` would return a BIGINT, too narrow for ratios scaled by 1e12). Spark types
    DECIMAL(38, 0) / DECIMAL(24, 0) as DECIMAL(38, 12): 26 integer digits, so a ratio at scale
    12 is exact below 1e14 with a denominator below 5e11 (over DECIMAL(38, 0) it would be 20
    digits, and a ratio of 1e8 or more would overflow to NULL: dbt-spark runs Spark with ANSI
    mode off). tests/engine/decimal_ratio_is_exact.sql checks both engines. -#}
{% macro wide_floor_divide(numerator, denominator) -%}
    {{ return(adapter.dispatch('wide_floor_divide')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__wide_floor_divide(numerator, denominator) -%}
    (({{ numerator }}) // ({{ denominator }}))
{%- endmacro %}

{% macro spark__wide_floor_divide(numerator, denominator) -%}
    cast((({{ numerator }}) - ({{ numerator }}) % cast({{ denominator }} as decimal(24, 0)))
         / cast({{ denominator }} as decimal(24, 0)) as decimal(38, 0))
{%- endmacro %}
