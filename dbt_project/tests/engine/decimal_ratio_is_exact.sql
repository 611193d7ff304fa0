-- decimal_ratio on this engine, against values worked out by hand: rounded half away from
-- zero at the 12th place, negative ratios, and ratios of 1e8 and more (which overflowed to
-- NULL on Spark once). Returns the cases that differ; none on either engine.
{{ config(tags=['engine']) }}

{%- set cases = [
    ('a third', '1', '3', "'0.333333333333'"),
    ('two thirds, rounded up', '2', '3', "'0.666666666667'"),
    ('negative', '-10', '3', "'-3.333333333333'"),
    ('a billion', '3000000000', '3', "'1000000000.000000000000'"),
    ('a large sum over a count', '98765432109.87', '7', "'14109347444.267142857143'"),
    ('nothing to divide by', '5', '0', 'null'),
] %}

with cases as (
    {% for name, numerator, denominator, expected in cases -%}
    select '{{ name }}' as name,
        {{ decimal_ratio('cast(' ~ numerator ~ ' as decimal(18, 2))', denominator) }} as got,
        cast({{ expected }} as decimal(38, 12)) as expected
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select name, got, expected
from cases
where not (got = expected or (got is null and expected is null))
   or (got is null) <> (expected is null)
