{#-
  The Dagster partition window: dbt vars `window_start` and `window_end`, the half-open
  interval [window_start, window_end) in UTC. Dagster builds them from the run's partition
  time window (event_analytics.dbt.window.partition_vars).

  These values end up in SQL text (dbt renders vars, it cannot bind them), so each one is
  checked to be an ISO date or timestamp before it is used, and the window must not be empty.
-#}

{%- macro _iso_timestamp_pattern() -%}
  {{- return('[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])'
             ~ '([T ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,6})?)?') -}}
{%- endmacro -%}


{%- macro validated_timestamp_var(name) -%}
  {#- The var `name` as a datetime, or a compiler error that says what is wrong. -#}
  {%- set value = var(name, none) -%}
  {%- if value is none -%}
    {%- if not execute -%}
      {#- Parsing renders models without vars; any valid value will do. -#}
      {{- return(modules.datetime.datetime(1970, 1, 1)) -}}
    {%- endif -%}
    {{- exceptions.raise_compiler_error(
          "var '" ~ name ~ "' is required: this model is built per Dagster partition. "
          ~ "Materialize it from Dagster, or pass --vars "
          ~ "'{window_start: 2025-01-01T00:00:00, window_end: 2025-01-02T00:00:00}'.") -}}
  {%- endif -%}
  {%- set text = value | string -%}
  {%- if modules.re.fullmatch(_iso_timestamp_pattern(), text) is none -%}
    {{- exceptions.raise_compiler_error(
          "var '" ~ name ~ "' must be an ISO date or timestamp "
          ~ "(YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS[.ffffff], UTC, no offset), got: " ~ (text | tojson)) -}}
  {%- endif -%}
  {{- return(modules.datetime.datetime.fromisoformat(text)) -}}
{%- endmacro -%}


{%- macro partition_window() -%}
  {#- (start, end) of the run's window as datetimes; an empty or inverted window is an error. -#}
  {%- set start = validated_timestamp_var('window_start') -%}
  {%- set end = validated_timestamp_var('window_end') -%}
  {%- if execute and not start < end -%}
    {{- exceptions.raise_compiler_error(
          "window_start must be before window_end, got " ~ start ~ " and " ~ end) -}}
  {%- endif -%}
  {{- return((start, end)) -}}
{%- endmacro -%}


{%- macro timestamp_literal(value) -%}
  cast('{{ value.isoformat() }}' as timestamp)
{%- endmacro -%}


{%- macro window_start() -%}
  {{- timestamp_literal(partition_window()[0]) -}}
{%- endmacro -%}


{%- macro window_end() -%}
  {{- timestamp_literal(partition_window()[1]) -}}
{%- endmacro -%}


{%- macro in_window(column) -%}
  {#- The rows a run writes: `column` (a DATE or TIMESTAMP) inside [window_start, window_end). -#}
  {{ column }} >= {{ window_start() }} and {{ column }} < {{ window_end() }}
{%- endmacro -%}


{%- macro _reads_days(key) -%}
  {%- set days = (config.get('meta') or {}).get(key, 0) -%}
  {%- if days is not integer or days < 0 -%}
    {{- exceptions.raise_compiler_error("meta." ~ key ~ " must be a whole number of days >= 0") -}}
  {%- endif -%}
  {{- return(days) -}}
{%- endmacro -%}


{%- macro read_window_start() -%}
  {#-
    Where a model starts reading its inputs: window_start minus the model's
    `meta.reads_days_before`. The same number tells Dagster which upstream partitions the
    model depends on (event_analytics.dbt.translator), so the two can never disagree.
  -#}
  {%- set days = _reads_days('reads_days_before') -%}
  {{- timestamp_literal(partition_window()[0] - modules.datetime.timedelta(days=days)) -}}
{%- endmacro -%}


{%- macro read_window_end() -%}
  {#- Where a model stops reading: window_end plus the model's `meta.reads_days_after`. -#}
  {%- set days = _reads_days('reads_days_after') -%}
  {{- timestamp_literal(partition_window()[1] + modules.datetime.timedelta(days=days)) -}}
{%- endmacro -%}


{%- macro window_days(column) -%}
  {#- One row per UTC day of the window, as a DATE named `column`. -#}
  {{- return(adapter.dispatch('window_days', 'event_analytics_marts')(column)) -}}
{%- endmacro -%}


{%- macro default__window_days(column) -%}
  select cast(day_start as date) as {{ column }}
  from generate_series(
      {{ window_start() }},
      {{ window_end() }} - interval '1 day',
      interval '1 day'
  ) as calendar(day_start)
{%- endmacro -%}


{%- macro spark__window_days(column) -%}
  {#- Spark has no generate_series: a sequence of the days, one row each. -#}
  select cast(day_start as date) as {{ column }}
  from (
      select explode(sequence(
          {{ window_start() }},
          {{ window_end() }} - interval '1 day',
          interval '1 day'
      )) as day_start
  ) as calendar
{%- endmacro -%}
