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
        ~ "cast(1e" ~ operand_scale ~ " as decimal(38, 0)) as hugeint)" -%}
    {%- set d = "cast(cast(" ~ denominator ~ " as decimal(38, " ~ operand_scale ~ ")) * "
        ~ "cast(1e" ~ operand_scale ~ " as decimal(38, 0)) as hugeint)" -%}
    case when {{ denominator }} <> 0 then
        cast(
            sign({{ n }}) * sign({{ d }})
            * ((2 * abs({{ n }}) * cast(1e{{ scale }} as hugeint) + abs({{ d }}))
               // (2 * abs({{ d }})))
        as decimal(38, 0)) * cast(1e-{{ scale }} as decimal(38, {{ scale }}))
    end
{%- endmacro %}
