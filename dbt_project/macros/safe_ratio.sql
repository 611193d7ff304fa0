{#- numerator / denominator as a DOUBLE, NULL (not zero, not an error) when the denominator
    is zero or NULL: a rate with nothing to measure is unknown. -#}
{% macro safe_ratio(numerator, denominator) -%}
    case when {{ denominator }} <> 0
        then cast({{ numerator }} as double) / cast({{ denominator }} as double)
    end
{%- endmacro %}
