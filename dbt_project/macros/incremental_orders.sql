{#- Incremental builds of the order-line models (issue 12).

    An order-line model built before keeps its rows and recomputes only the orders that loads
    since its last successful build touched (delete+insert by order_id). What cannot be
    followed order by order makes the model replace every row instead, in the same run:
      - a load retracted or superseded since (its rows left raw; which orders they fed is
        not known any more),
      - new products or exchange rates (they change lines of any order),
      - other vars (--reporting-currency, --fiscal-year-start-month), any replay (--as-of),
      - another version of any model or seed (its code checksum),
      - no record of a successful build of this model (audit.dbt_increments).
    So an incremental build equals a full one, table for table
    (tests/test_e2e_incremental.py), and `dbt build --full-refresh` is never needed for
    correctness, only after a column is added (on_schema_change: fail says so). -#}


{#- The config of an incremental order-line model. -#}
{% macro order_lines_incremental_config() -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'delete+insert',
        'unique_key': 'order_id',
        'on_schema_change': 'fail',
        'pre_hook': "{{ reset_increment_if_unsafe() }}",
    }) }}
{%- endmacro %}


{#- A digest of what every model's rows depend on besides the data: the vars and the code. -#}
{% macro increment_state() -%}
    {%- set parts = [tojson({
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


{#- On run end: record, for each incremental model built successfully in this run, the loads
    it has seen and the state it was built in. A replay leaves no record, so the next build
    replaces the replayed rows whole. -#}
{% macro record_increments(results) -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set built = [] -%}
    {%- for result in results -%}
        {%- if result.node.resource_type == 'model'
              and result.node.config.materialized == 'incremental'
              and result.status == 'success' -%}
            {%- do built.append("'" ~ result.node.alias ~ "'") -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not built -%}{{ return('') }}{%- endif -%}
    create table if not exists audit.dbt_increments (
        model varchar primary key,
        max_load_id bigint not null,
        loaded_loads bigint not null,
        state varchar not null
    );
    delete from audit.dbt_increments where model in ({{ built | join(', ') }});
    {%- if not var('as_of_date', none) %}
    insert into audit.dbt_increments
    select
        model,
        (select coalesce(max(load_id), 0) from audit.load_log where status = 'loaded'),
        (select count(*) from audit.load_log where status = 'loaded'),
        '{{ increment_state() }}'
    from (values
    {%- for name in built %}{{ ', ' if not loop.first }}({{ name }}){% endfor %}) as built(model);
    {%- endif %}
{%- endmacro %}
