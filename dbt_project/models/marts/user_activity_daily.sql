{#-
  One row per user per UTC day they were active. Partitioned like cleaned_events: a run
  reads exactly its window of events and replaces exactly its window of rows.

  The marts are reconciled with daily_summary (see the schema file's tests), so they are built
  after it: the line below makes it an upstream of this model, and so of every daily mart.
-#}
-- depends_on: {{ source('platform', 'daily_summary') }}
{{ config(
    materialized='incremental',
    full_refresh=false,
    on_schema_change='fail',
    **window_replace('activity_date')
) }}

select
    event_date as activity_date,
    user_id,
    count(*) as events,
    -- count(case ...) rather than sum(case ...): a BIGINT on every engine.
    count(case when event_type = 'page_view' then 1 end) as page_views,
    count(case when event_type = 'add_to_cart' then 1 end) as add_to_carts,
    count(case when event_type = 'purchase' then 1 end) as purchases,
    cast(sum(revenue) as decimal(38, 4)) as revenue,
    min(occurred_at) as first_event_at,
    max(occurred_at) as last_event_at
from {{ source('platform', 'cleaned_events') }}
where {{ in_window('occurred_at') }}
group by event_date, user_id
