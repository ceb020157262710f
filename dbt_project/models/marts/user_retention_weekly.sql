{#-
  Weekly cohorts: users grouped by the ISO week (Monday to Sunday, UTC) they were first seen,
  and the share of each cohort active in that week and every week after it.

  Rebuilt in full on every run, like `users`: re-materializing an old day can move a user's
  first-seen week (and so their cohort) and change any later week's activity.
-#}
{{ config(materialized='table') }}

with activity_weeks as (
    select distinct
        user_id,
        cast(date_trunc('week', activity_date) as date) as activity_week
    from {{ ref('user_activity_daily') }}
),

cohorts as (
    select
        user_id,
        cast(date_trunc('week', first_seen_date) as date) as cohort_week
    from {{ ref('users') }}
),

cohort_sizes as (
    select cohort_week, count(*) as cohort_users
    from cohorts
    group by cohort_week
),

weeks as (
    select distinct activity_week from activity_weeks
),

active as (
    select cohorts.cohort_week, activity_weeks.activity_week, count(*) as active_users
    from activity_weeks
    inner join cohorts on cohorts.user_id = activity_weeks.user_id
    group by cohorts.cohort_week, activity_weeks.activity_week
)

select
    cohort_sizes.cohort_week,
    weeks.activity_week,
    cast({{ dbt.datediff('cohort_sizes.cohort_week', 'weeks.activity_week', 'day') }} / 7
        as integer) as weeks_since_first_seen,
    cohort_sizes.cohort_users,
    coalesce(active.active_users, 0) as active_users,
    {{ dbt.cast('coalesce(active.active_users, 0)', 'double precision') }} / cohort_sizes.cohort_users
        as retention
from cohort_sizes
inner join weeks on weeks.activity_week >= cohort_sizes.cohort_week
left join active
    on active.cohort_week = cohort_sizes.cohort_week
    and active.activity_week = weeks.activity_week
