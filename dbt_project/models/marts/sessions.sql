{#-
  Visits: a user's events grouped until 30 minutes pass without one.

  A session belongs to the UTC day it starts (its `session_start` is in the window). To get
  sessions that cross midnight right, the model reads one day more on each side
  (meta.reads_days_before/after in the schema file):
  - the previous day, so an event at 00:05 that continues last night's session is not taken
    for the start of a new one;
  - the next day, so a session started at 23:50 keeps its events after midnight.
  Dagster knows the same dependency (partition D reads cleaned_events D-1..D+1), so when the
  next day's events land, the previous day's sessions are rebuilt.
-#}
{{ config(
    materialized='incremental',
    full_refresh=false,
    on_schema_change='fail',
    **window_replace('session_start', partition_column='session_date')
) }}

{%- set inactivity = "interval '30 minutes'" %}

with events as (
    select user_id, event_id, event_type, occurred_at, revenue
    from {{ source('platform', 'cleaned_events') }}
    where occurred_at >= {{ read_window_start() }}
      and occurred_at < {{ read_window_end() }}
),

with_previous as (
    select
        *,
        lag(occurred_at) over (
            partition by user_id order by occurred_at, event_id
        ) as previous_at
    from events
),

numbered as (
    select
        *,
        -- 30 minutes or more since the user's previous event: that event closed a session.
        sum(case when previous_at is null
                   or previous_at <= occurred_at - {{ inactivity }} then 1 else 0 end)
            over (
                partition by user_id order by occurred_at, event_id
                rows between unbounded preceding and current row
            ) as session_number
    from with_previous
),

sessions as (
    select
        user_id,
        min(occurred_at) as session_start,
        max(occurred_at) as session_end,
        count(*) as events,
        count(case when event_type = 'page_view' then 1 end) as page_views,
        count(case when event_type = 'add_to_cart' then 1 end) as add_to_carts,
        count(case when event_type = 'purchase' then 1 end) as purchases,
        cast(sum(revenue) as decimal(38, 4)) as revenue
    from numbered
    group by user_id, session_number
)

-- Text built here is cast to the declared varchar (`string` on Spark): PostgreSQL would type it `text`
-- otherwise, and the incremental schema check would see a change on every run.
select
    {{ dbt.cast("user_id || '/' || " ~ dbt.cast('session_start', 'varchar'), 'varchar') }} as session_id,
    user_id,
    cast(session_start as date) as session_date,
    session_start,
    session_end,
    events,
    page_views,
    add_to_carts,
    purchases,
    purchases > 0 as converted,
    {{ dbt.cast("case
        when purchases > 0 then 'purchase'
        when add_to_carts > 0 then 'add_to_cart'
        when page_views > 0 then 'page_view'
        else 'other'
    end", 'varchar') }} as furthest_step,
    revenue
from sessions
where {{ in_window('session_start') }}
