{#- The satisfaction definitions (METRICS.md): one place for every mart.
    NPS responses score 0-10: promoters 9-10, detractors 0-6. CSAT responses score 1-5:
    satisfied 4-5. NPS = 100 x (promoters - detractors) / responses, -100..100; CSAT =
    satisfied / responses, 0..1; both NULL (not zero) without responses. -#}

{#- The survey counts, each column name ending in `suffix`, of the responses for which
    `condition` holds (all by default). -#}
{% macro survey_counts(survey_type='survey_type', score='score', suffix='', condition='true') -%}
    sum(case when {{ condition }} and {{ survey_type }} = 'nps' then 1 else 0 end)
        as nps_responses{{ suffix }},
    sum(case when {{ condition }} and {{ survey_type }} = 'nps' and {{ score }} >= 9 then 1 else 0 end)
        as promoters{{ suffix }},
    sum(case when {{ condition }} and {{ survey_type }} = 'nps' and {{ score }} <= 6 then 1 else 0 end)
        as detractors{{ suffix }},
    sum(case when {{ condition }} and {{ survey_type }} = 'csat' then 1 else 0 end)
        as csat_responses{{ suffix }},
    sum(case when {{ condition }} and {{ survey_type }} = 'csat' and {{ score }} >= 4 then 1 else 0 end)
        as csat_satisfied{{ suffix }}
{%- endmacro %}

{% macro nps(promoters, detractors, responses) -%}
    100 * ({{ safe_ratio(promoters, responses) }} - {{ safe_ratio(detractors, responses) }})
{%- endmacro %}

{% macro csat(satisfied, responses) -%}
    {{ safe_ratio(satisfied, responses) }}
{%- endmacro %}

{#- The attribution rule (METRICS.md), once for responses and complaints: the rep the record
    carries, else the account's owner. Every mart crediting satisfaction to a rep uses the
    attributed_rep_id this adds. -#}
{% macro with_attributed_rep(relation) -%}
    select
        {{ relation }}.*,
        coalesce({{ relation }}.rep_id, owners.owner_rep_id) as attributed_rep_id
    from {{ relation }}
    left join (
        select account_id, owner_rep_id from {{ ref('stg_crm__accounts') }}
    ) as owners
        on {{ relation }}.account_id = owners.account_id
{%- endmacro %}
