{#- Keep the newest version of each key: latest version column (e.g. updated_at), then the
    latest load (a later file), then the later line of the same file. In a replay (--as-of),
    versions dated after the replay day (version_day) come last: the newest version known by
    that day wins, and a record whose every version is later keeps the one closest to the day
    (what changed after the day is then undone by the staging model). Portable SQL: a filtered
    row_number instead of QUALIFY. -#}
{% macro latest_version(relation, key_columns, version_column=none, version_day=none) %}
    select * from (
        select
            *,
            row_number() over (
                partition by {{ key_columns | join(', ') }}
                order by
                    {% if version_day and var('as_of_date', none) -%}
                    case when {{ known_by_replay_day(version_day) }} then 0 else 1 end,
                    case when {{ known_by_replay_day(version_day) }} then {{ version_column }} end
                        desc nulls last,
                    case when not {{ known_by_replay_day(version_day) }} then {{ version_column }}
                        end asc nulls last,
                    {% elif version_column %}{{ version_column }} desc nulls last,{% endif %}
                    _load_id desc,
                    _source_line desc
            ) as _version_rank
        from {{ relation }}
    ) as versions
    where _version_rank = 1
{% endmacro %}
