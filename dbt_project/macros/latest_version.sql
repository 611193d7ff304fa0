{#- Keep the newest version of each key: latest version column (e.g. updated_at), then the
    latest load (a later file), then the later line of the same file. Portable SQL: a filtered
    row_number instead of QUALIFY. -#}
{% macro latest_version(relation, key_columns, version_column=none) %}
    select * from (
        select
            *,
            row_number() over (
                partition by {{ key_columns | join(', ') }}
                order by
                    {% if version_column %}{{ version_column }} desc nulls last,{% endif %}
                    _load_id desc,
                    _source_line desc
            ) as _version_rank
        from {{ relation }}
    ) as versions
    where _version_rank = 1
{% endmacro %}
