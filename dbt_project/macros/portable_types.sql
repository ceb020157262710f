{#-
  One spelling of a column type for every warehouse: the schema files and the models write
  the SQL-standard names (`varchar`, `double precision`) that DuckDB and PostgreSQL take, and
  on Spark, which has neither, `cast` says the same thing in Spark's words.

  dbt's `cast` is dispatched (dbt_project.yml searches this project first), and dbt's model
  contracts build their expected columns with it (`cast(null as <data_type>)`), so the
  declared types of the schema files hold on Spark unchanged.
-#}
{%- macro spark__cast(field, type) -%}
  cast({{ field }} as {{ spark_type(type) }})
{%- endmacro -%}


{%- macro spark_type(type) -%}
  {%- set spark_names = {'varchar': 'string', 'text': 'string', 'double precision': 'double'} -%}
  {{- spark_names.get(type | trim | lower, type) -}}
{%- endmacro -%}
