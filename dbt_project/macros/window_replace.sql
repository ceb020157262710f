{#-
  Incremental strategy `window_replace`: re-materializing a Dagster partition replaces it.

  In the model's transaction, every row of the target whose `window_column` lies in
  [window_start, window_end) is deleted, then the model's rows (which are all inside that
  window) are inserted. Rows outside the window are never touched, so running a partition
  twice changes nothing, and a range run writes exactly what the same days run one by one do.
  dbt's own delete+insert would only replace rows whose key comes back, leaving behind rows
  that disappeared from the source (a removed file, a user no longer active that day).
-#}
{%- macro get_incremental_window_replace_sql(arg_dict) -%}
  {%- set column = config.require('window_column') -%}
  {%- set target = arg_dict['target_relation'] -%}
  {%- set columns = arg_dict['dest_columns'] | map(attribute='quoted') | join(', ') -%}
  delete from {{ target }}
  where {{ in_window(column) }};

  insert into {{ target }} ({{ columns }})
  select {{ columns }}
  from {{ arg_dict['temp_relation'] }}
{%- endmacro -%}
