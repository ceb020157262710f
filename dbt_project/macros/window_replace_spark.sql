{#-
  `window_replace` on Spark (see window_replace.sql for what it means): Parquet tables have no
  DELETE, and dbt-spark only takes its own incremental strategies. So on Spark a daily mart is
  a table partitioned by day, written by dbt-spark's `insert_overwrite` with dynamic partition
  overwrite (the platform's session setting), which replaces each day the model has rows for;
  before it, a pre-hook empties every day of the window the table has rows for, so that a day
  whose rows all went away is emptied too, as the DELETE does on the other warehouses.

  Not one transaction, as on the other warehouses: a crash between the two statements leaves
  days of the window empty, and the re-run of the partition (the same statements) repairs it.
  docs/spark.md says the same of the platform's own tables.

  Models call `window_replace(window_column, partition_column)` in their config:
  `partition_column` is the DATE the table is partitioned by on Spark, the window column's day
  (the window column itself when it is a DATE).
-#}
{%- macro window_replace(window_column, partition_column=none) -%}
  {{- return(adapter.dispatch('window_replace', 'event_analytics_marts')(
        window_column, partition_column or window_column)) -}}
{%- endmacro -%}


{%- macro default__window_replace(window_column, partition_column) -%}
  {{- return({'incremental_strategy': 'window_replace', 'window_column': window_column}) -}}
{%- endmacro -%}


{%- macro spark__window_replace(window_column, partition_column) -%}
  {{- return({
        'incremental_strategy': 'insert_overwrite',
        'window_column': window_column,
        'partition_by': [partition_column],
        'pre_hook': ['{{ empty_window_days() }}'],
      }) -}}
{%- endmacro -%}


{%- macro empty_window_days() -%}
  {%- if execute and is_incremental() -%}
    {%- set column = config.get('partition_by')[0] -%}
    {%- set days = run_query(
          'select distinct ' ~ column ~ ' from ' ~ this
          ~ ' where ' ~ in_window(config.require('window_column'))) -%}
    {#- No rows, typed as the table's columns (Spark refuses to overwrite a table that the
        same statement reads, even to read nothing from it). -#}
    {%- set no_rows = [] -%}
    {%- for other in adapter.get_columns_in_relation(this) if other.name != column -%}
      {%- do no_rows.append('cast(null as ' ~ other.data_type ~ ') as ' ~ other.quoted) -%}
    {%- endfor -%}
    {%- for row in days.rows -%}
      {#- A DATE read from the table itself: its ISO form (checked) is all that reaches the SQL. -#}
      {%- set day = row[0].isoformat() -%}
      {%- if modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', day) is none -%}
        {{- exceptions.raise_compiler_error(column ~ ' is not a DATE: ' ~ (day | tojson)) -}}
      {%- endif -%}
      {%- do run_query(
            'insert overwrite table ' ~ this ~ ' partition (' ~ column ~ " = date'"
            ~ day ~ "') select " ~ (no_rows | join(', ')) ~ ' where false') -%}
    {%- endfor -%}
  {%- endif -%}
{%- endmacro -%}
