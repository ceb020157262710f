{#-
  Reconciliation: per UTC day, each measure of the model (an aggregate over its rows of that
  day) equals the column of the same name in the platform's daily_summary. Two independent
  computations of the same figure; any difference, or a day only one side has with non-zero
  figures, is a failing row.

  In a partitioned run (window vars set) only the window's days are compared, so the test
  checks what the run wrote and does not trip over days that are still being recomputed.
-#}
{% test matches_daily_summary(model, date_column, measures) %}
{%- set windowed = var('window_start', none) is not none %}

with model_days as (
    select
        {{ date_column }} as day,
        {%- for name, expression in measures.items() %}
        {{ expression }} as {{ name }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ model }}
    {%- if windowed %}
    where {{ in_window(date_column) }}
    {%- endif %}
    group by {{ date_column }}
),

summary_days as (
    select
        date as day,
        {%- for name in measures %}
        {{ name }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ source('platform', 'daily_summary') }}
    {%- if windowed %}
    where {{ in_window('date') }}
    {%- endif %}
)

select
    coalesce(model_days.day, summary_days.day) as day,
    {%- for name in measures %}
    model_days.{{ name }} as model_{{ name }},
    summary_days.{{ name }} as summary_{{ name }}{{ "," if not loop.last }}
    {%- endfor %}
from model_days
full outer join summary_days on model_days.day = summary_days.day
where
    {%- for name in measures %}
    coalesce(model_days.{{ name }}, 0) <> coalesce(summary_days.{{ name }}, 0)
    {{- " or" if not loop.last }}
    {%- endfor %}
{% endtest %}
