{#-
  One row per user ever seen, over all history.

  Rebuilt in full on every run (a table, not incremental): a lifetime figure depends on every
  day, and re-materializing any old day (a late file, a removed file) can raise or lower it,
  or make a user disappear. Rebuilding from user_activity_daily (one row per user-day, not
  one per event) keeps that cheap, and the table is swapped in atomically.
-#}
{{ config(materialized='table') }}

select
    user_id,
    min(first_event_at) as first_seen_at,
    max(last_event_at) as last_seen_at,
    min(activity_date) as first_seen_date,
    max(activity_date) as last_seen_date,
    cast(count(*) as bigint) as active_days,
    cast(sum(events) as bigint) as lifetime_events,
    cast(sum(purchases) as bigint) as lifetime_purchases,
    cast(sum(revenue) as decimal(38, 4)) as lifetime_revenue
from {{ ref('user_activity_daily') }}
group by user_id
