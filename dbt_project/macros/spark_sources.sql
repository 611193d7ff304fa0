{#- On Spark, dbt's sources are the Parquet lake ingest writes (ingest/lake.py): one folder per
    raw table, a subfolder per load. Each run registers every source as an external table over
    its folder, read recursively, so a load added or retracted since the last run is seen
    (dropping an external table leaves its files). On DuckDB the sources are ingest's own
    tables and this does nothing. -#}
{% macro register_lake_sources() -%}
    {%- if execute and target.type == 'spark' -%}
        {%- do register_lake_results() -%}
        {%- set lake = lake_path() -%}
        {%- set schemas = [] -%}
        {%- for node in graph.sources.values() | sort(attribute='unique_id') -%}
            {%- if node.schema not in schemas -%}
                {%- do schemas.append(node.schema) -%}
                {%- do run_query('create database if not exists ' ~ node.schema) -%}
            {%- endif -%}
            {%- set table = node.schema ~ '.' ~ node.identifier -%}
            {%- do run_query('drop table if exists ' ~ table) -%}
            {%- do run_query("create table " ~ table ~ " using parquet options (path '"
                ~ lake ~ "/" ~ node.schema ~ "/" ~ node.identifier
                ~ "', recursiveFileLookup 'true')") -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}


{#- What the Python assets wrote (payouts, forecasts, scores: models_py/engines.py), as
    external tables over `<lake>/results/<schema>/<table>/`, named by SALES_WH_LAKE_RESULTS
    (`schema.table,...`, set by the orchestration: dbt cannot list folders). Also run alone
    (`dbt run-operation register_lake_results --target spark`) after those assets. -#}
{% macro register_lake_results() -%}
    {%- if execute and target.type == 'spark' -%}
        {%- set lake = lake_path() -%}
        {%- set schemas = [] -%}
        {%- for name in env_var('SALES_WH_LAKE_RESULTS', '').split(',') if name -%}
            {%- set schema = name.split('.')[0] -%}
            {%- if schema not in schemas -%}
                {%- do schemas.append(schema) -%}
                {%- do run_query('create database if not exists ' ~ schema) -%}
            {%- endif -%}
            {%- do run_query('drop table if exists ' ~ name) -%}
            {%- do run_query("create table " ~ name ~ " using parquet options (path '" ~ lake
                ~ "/results/" ~ name.replace('.', '/') ~ "')") -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}


{#- The lake's folder: $SALES_WH_LAKE, which `sales-wh` sets from the home (a dbt run by hand
    from the project uses the default home's). -#}
{% macro lake_path() -%}
    {{ return(env_var('SALES_WH_LAKE', '../data/lake')) }}
{%- endmacro %}
