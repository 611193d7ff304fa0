{#- `column_name` must be filled wherever `condition` holds (e.g. a converted amount wherever
    there was an amount: a missing FX rate shows up here instead of as a silent null). -#}
{% test not_null_where(model, column_name, condition) %}
    select * from {{ model }}
    where ({{ condition }}) and {{ column_name }} is null
{% endtest %}
