-- decimal_ratio on this engine, against values worked out by hand: rounded half away from
-- zero at the 12th place, negative ratios, and ratios of 1e8 and more (which overflowed to
-- NULL on Spark once). Returns the cases that differ; none on either engine.
{{ config(tags=['engine']) }}

with cases as (
    select 'a third' as name, {{ decimal_ratio('cast(1 as decimal(18, 2))', '3') }} as got,
        cast('0.333333333333' as decimal(38, 12)) as expected
    union all
    select 'two thirds, rounded up',
        {{ decimal_ratio('cast(2 as decimal(18, 2))', '3') }},
        cast('0.666666666667' as decimal(38, 12))
    union all
    select 'negative', {{ decimal_ratio('cast(-10 as decimal(18, 2))', '3') }},
        cast('-3.333333333333' as decimal(38, 12))
    union all
    select 'a billion', {{ decimal_ratio('cast(3000000000 as decimal(18, 2))', '3') }},
        cast('1000000000.000000000000' as decimal(38, 12))
    union all
    select 'a large sum over a count',
        {{ decimal_ratio('cast(98765432109.87 as decimal(18, 2))', '7') }},
        cast('14109347444.267142857143' as decimal(38, 12))
    union all
    select 'nothing to divide by', {{ decimal_ratio('cast(5 as decimal(18, 2))', '0') }},
        cast(null as decimal(38, 12))
)

select name, got, expected
from cases
where not (got = expected or (got is null and expected is null))
   or (got is null) <> (expected is null)
