{#- Incremental builds of the order-line models (issue 12).

    An order-line model built before keeps its rows and recomputes only the orders that loads
    since its last successful build touched (delete+insert by order_id). What cannot be
    followed order by order makes the model replace every row instead, in the same run:
      - a load retracted or superseded since (its rows left raw; which orders they fed is
        not known any more),
      - new products or exchange rates (they change lines of any order),
      - other vars (--reporting-currency, --fiscal-year-start-month), any replay (--as-of),
      - another version of any file of the project (models, macros, seeds...),
      - no record of a successful build of this model (audit.dbt_increments).
    So an incremental build equals a full one, table for table
    (tests/test_e2e_incremental.py), and `dbt build --full-refresh` is never needed for
    correctness, only after a column is added (on_schema_change: fail says so). -#}


{#- The config of an incremental order-line model. -#}
{% macro order_lines_incremental_config() -%}
    {#- Spark's Parquet tables cannot delete rows (that needs Delta or Iceberg): there the
        order-line models are rebuilt whole, which a cluster does in parallel anyway. -#}
    {%- if target.type == 'spark' -%}
        {{ return({'materialized': 'table'}) }}
    {%- endif -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'delete+insert',
        'unique_key': 'order_id',
        'on_schema_change': 'fail',
        'pre_hook': "{{ reset_increment_if_unsafe() }}",
    }) }}
{%- endmacro %}


{#- A digest of what every model's rows depend on besides the data: the vars and the code
    (the project's files, and the checksum of every model and seed). -#}
{% macro increment_state() -%}
    {#- `sales_wh_code`: a digest of the project's files (macros too, which model checksums
        do not cover), passed by every dbt invocation Dagster starts (orchestration/assets/
        transform.py); a `dbt build` by hand has none, so it rebuilds whole once. -#}
    {%- set parts = [tojson({
        'code': var('sales_wh_code', none),
        'as_of_date': var('as_of_date', none),
        'reporting_currency': var('reporting_currency'),
        'fiscal_year_start_month': var('fiscal_year_start_month'),
    })] -%}
    {%- for node in graph.nodes.values() | sort(attribute='unique_id') -%}
        {%- if node.resource_type in ('model', 'seed') -%}
            {%- do parts.append(node.unique_id ~ ':' ~ node.checksum.checksum) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(local_md5(parts | join('|'))) }}
{%- endmacro %}


{#- The last load this model has seen, when its rows can be brought forward order by order;
    none when it must be rebuilt whole. Runs queries, so only while executing. -#}
{% macro increment_watermark() -%}
    {#- (a unit test has no `this`: it always builds from its given rows) -#}
    {%- if not execute or this is none or not is_incremental() or var('as_of_date', none) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set recorded = adapter.get_relation(database=this.database, schema='audit',
                                            identifier='dbt_increments') -%}
    {%- if recorded is none -%}{{ return(none) }}{%- endif -%}
    {%- set found = run_query(
        "select max_load_id from audit.dbt_increments as inc
         where model = '" ~ this.identifier ~ "'
           and state = '" ~ increment_state() ~ "'
           -- no load retracted or superseded since
           and loaded_loads = (
               select count(*) from audit.load_log as log
               where log.status = 'loaded' and log.load_id <= inc.max_load_id)
           -- no new products or exchange rates since
           and not exists (
               select 1 from audit.load_log as log
               where log.status = 'loaded' and log.load_id > inc.max_load_id
                 and (log.source, log.entity) in (('orders', 'products'), ('plan', 'fx_rates')))"
    ) -%}
    {%- if found.rows | length == 0 -%}{{ return(none) }}{%- endif -%}
    {{ return(found.rows[0][0]) }}
{%- endmacro %}


{#- Pre-hook: an incremental run that cannot go order by order empties the table first, so
    that the insert that follows (every row) leaves exactly what a full build would. -#}
{% macro reset_increment_if_unsafe() -%}
    {%- if execute and this is not none and is_incremental()
          and increment_watermark() is none -%}
        delete from {{ this }}
    {%- endif -%}
{%- endmacro %}


{#- The orders that loads after `load_id` touched: new versions of an order, of its lines, or
    of a return on it (and the order a return's earlier version pointed at). -#}
{% macro orders_touched_since(load_id) -%}
    select order_id from {{ source('orders', 'orders') }} where _load_id > {{ load_id }}
    union
    select order_id from {{ source('orders', 'order_lines') }} where _load_id > {{ load_id }}
    union
    select order_id from {{ source('orders', 'returns') }}
    where return_id in (
        select return_id from {{ source('orders', 'returns') }} where _load_id > {{ load_id }}
    )
{%- endmacro %}


{#- Every model and seed upstream of a node (its parents, their parents...), into `found`. -#}
{% macro collect_upstream(unique_id, found) -%}
    {%- for parent in graph.nodes[unique_id].depends_on.nodes -%}
        {%- if parent in graph.nodes and parent not in found
              and graph.nodes[parent].resource_type in ('model', 'seed') -%}
            {%- do found.append(parent) -%}
            {%- do collect_upstream(parent, found) -%}
        {%- endif -%}
    {%- endfor -%}
{%- endmacro %}


{#- On run end: record, for each incremental model built successfully in this run together
    with every model and seed upstream of it, the loads it has seen and the state it was
    built in. A model built without its upstream (a subset run: one asset materialized in the
    UI, a re-execution from failure, `dbt build -s`) may have read stale parents: its record
    is dropped, so the next build replaces its rows whole. So is a replay's (--as-of). -#}
{% macro record_increments(results) -%}
    {%- if not execute or target.type != 'duckdb' -%}{{ return('') }}{%- endif -%}
    {%- set succeeded = [] -%}
    {%- for result in results if result.status == 'success' -%}
        {%- do succeeded.append(result.node.unique_id) -%}
    {%- endfor -%}
    {%- set current, forget = [], [] -%}
    {%- for result in results -%}
        {%- if result.node.resource_type == 'model'
              and result.node.config.materialized == 'incremental'
              and result.status == 'success' -%}
            {%- set upstream = [] -%}
            {%- do collect_upstream(result.node.unique_id, upstream) -%}
            {%- set stale = upstream | reject('in', succeeded) | list -%}
            {%- set name = "'" ~ result.node.alias ~ "'" -%}
            {%- do (forget if stale or var('as_of_date', none) else current).append(name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not current and not forget -%}{{ return('') }}{%- endif -%}
    create table if not exists audit.dbt_increments (
        model string primary key,
        max_load_id bigint not null,
        loaded_loads bigint not null,
        state string not null
    );
    delete from audit.dbt_increments where model in ({{ (current + forget) | join(', ') }});
    {%- if current %}
    insert into audit.dbt_increments
    select
        model,
        (select coalesce(max(load_id), 0) from audit.load_log where status = 'loaded'),
        (select count(*) from audit.load_log where status = 'loaded'),
        '{{ increment_state() }}'
    from (values
    {%- for name in current %}{{ ', ' if not loop.first }}({{ name }}){% endfor %}) as built(model);
    {%- endif %}
{%- endmacro %}
