{#- The deal model's probabilities from the newest scoring run (by when it ran) (models_py/scoring/deals.py,
    written by the `score_leads` job after the marts), as a relation of (opportunity_id,
    win_probability); an empty one before the first run. Not a dbt source: the scores are
    computed from the marts, so declaring them upstream would make a cycle. -#}
{% macro latest_win_probabilities() -%}
    {%- set scored = adapter.get_relation(database=target.database, schema='scoring',
                                          identifier='win_probabilities') -%}
    {%- if scored is not none -%}
    (
        select opportunity_id, win_probability
        from {{ scored }}
        where run_id = (
            select run_id from {{ scored }}
            {% if var('as_of_date', none) -%}
            -- A replay shows only a run made as of the replay day or before it: a later one
            -- learned from outcomes the replay day did not know.
            where as_of_date <= {{ replay_day() }}
            {% endif -%}
            order by scored_at desc nulls last, as_of_date desc, run_id desc
            limit 1
        )
    )
    {%- else -%}
    (select cast(null as string) as opportunity_id, cast(null as double) as win_probability
     where false)
    {%- endif -%}
{%- endmacro %}
