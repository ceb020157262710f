{#-
  DAU, WAU, MAU and stickiness per UTC day.

  WAU and MAU count distinct users over the 7 and 28 days ending that day, so a day's row
  needs 27 days of history before it: the model reads user_activity_daily from 27 days before
  the window (meta.reads_days_before) but writes only the window's days. Dagster knows the
  same dependency, so re-materializing an old day of user_activity_daily requests this
  model's partitions for that day and the 27 after it.
-#}
{{ config(
    materialized='incremental',
    full_refresh=false,
    on_schema_change='fail',
    **window_replace('activity_date')
) }}

with days as (
    {{ window_days('activity_date') }}
),

activity as (
    select activity_date, user_id
    from {{ ref('user_activity_daily') }}
    where activity_date >= {{ read_window_start() }}
      and activity_date < {{ window_end() }}
),

counts as (
    select
        days.activity_date,
        count(distinct case when activity.activity_date = days.activity_date
                            then activity.user_id end) as dau,
        count(distinct case when activity.activity_date > days.activity_date - interval '7 days'
                            then activity.user_id end) as wau,
        count(distinct activity.user_id) as mau
    from days
    left join activity
        on activity.activity_date <= days.activity_date
        and activity.activity_date > days.activity_date - interval '28 days'
    group by days.activity_date
)

select
    activity_date,
    dau,
    wau,
    mau,
    case when mau > 0 then {{ dbt.cast('dau', 'double precision') }} / mau end as stickiness
from counts
