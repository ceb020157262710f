{#-
  On Spark, dbt's session starts with an empty catalog: the platform keeps Spark's catalog in
  memory (no metastore to share between processes, see warehouse/spark/session.py), so each
  process declares the tables over their folders. This `on-run-start` hook does it for dbt's
  session: every table the platform found with data in the warehouse folder
  (EVENT_ANALYTICS_SPARK_TABLES), its columns and day partitions read from its Parquet files.
  A mart that does not exist yet is created by dbt at its folder (`location_root`).

  On DuckDB and PostgreSQL the catalog is the database's own: nothing to do.
-#}
{%- macro declare_warehouse_tables() -%}
  {{- return(adapter.dispatch('declare_warehouse_tables', 'event_analytics_marts')()) -}}
{%- endmacro -%}


{%- macro default__declare_warehouse_tables() -%}
{%- endmacro -%}


{%- macro spark__declare_warehouse_tables() -%}
  {%- if execute -%}
    {%- set folder = env_var('EVENT_ANALYTICS_SPARK_WAREHOUSE_DIR', '') -%}
    {%- set listed = env_var('EVENT_ANALYTICS_SPARK_TABLES', '') -%}
    {%- if not folder or "'" in folder or "\\" in folder -%}
      {{- exceptions.raise_compiler_error(
            "EVENT_ANALYTICS_SPARK_WAREHOUSE_DIR must name the warehouse folder, without quotes "
            ~ "or backslashes: run the marts from Dagster, which sets it") -}}
    {%- endif -%}
    {%- for qualified in (listed.split(',') if listed else []) -%}
      {#- Names go into DDL (dbt cannot bind here): lower-case identifiers only. -#}
      {%- if modules.re.fullmatch('[a-z_][a-z0-9_]*[.][a-z_][a-z0-9_]*', qualified) is none -%}
        {{- exceptions.raise_compiler_error("not a table name: " ~ (qualified | tojson)) -}}
      {%- endif -%}
      {%- set schema, name = qualified.split('.') -%}
      {%- do run_query('create database if not exists ' ~ schema) -%}
      {%- do run_query(
            'create table if not exists ' ~ qualified ~ " using parquet location '"
            ~ folder ~ '/' ~ schema ~ '.db/' ~ name ~ "'") -%}
      {#- dbt listed the marts' schema before this hook ran, when it was still empty. -#}
      {%- do adapter.cache_added(api.Relation.create(schema=schema, identifier=name, type='table')) -%}
    {%- endfor -%}
  {%- endif -%}
{%- endmacro -%}
