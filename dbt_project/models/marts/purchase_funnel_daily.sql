{#-
  Page view -> add to cart -> purchase, per UTC day, counted in users.

  A user reaches a step on a day if they did it and every earlier step that same day (in any
  order: a purchase flow that started yesterday still counts today). Steps are therefore
  nested and every rate is between 0 and 1. Every day of the window has a row, zeros included.
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
    select *
    from {{ ref('user_activity_daily') }}
    where {{ in_window('activity_date') }}
),

per_day as (
    select
        activity_date,
        count(case when page_views > 0 then 1 end) as viewers,
        count(case when page_views > 0 and add_to_carts > 0 then 1 end) as cart_adders,
        count(case when page_views > 0 and add_to_carts > 0 and purchases > 0 then 1 end)
            as buyers,
        count(case when purchases > 0 then 1 end) as purchasers,
        cast(sum(purchases) as bigint) as purchases,
        cast(sum(revenue) as decimal(38, 4)) as revenue
    from activity
    group by activity_date
),

filled as (
    select
        days.activity_date,
        coalesce(per_day.viewers, 0) as viewers,
        coalesce(per_day.cart_adders, 0) as cart_adders,
        coalesce(per_day.buyers, 0) as buyers,
        coalesce(per_day.purchasers, 0) as purchasers,
        coalesce(per_day.purchases, 0) as purchases,
        coalesce(per_day.revenue, 0) as revenue
    from days
    left join per_day on per_day.activity_date = days.activity_date
)

select
    activity_date,
    viewers,
    cart_adders,
    buyers,
    purchasers,
    purchases,
    cast(revenue as decimal(38, 4)) as revenue,
    case when viewers > 0 then {{ dbt.cast('cart_adders', 'double precision') }} / viewers end
        as view_to_cart_rate,
    case when cart_adders > 0 then {{ dbt.cast('buyers', 'double precision') }} / cart_adders end
        as cart_to_purchase_rate,
    case when viewers > 0 then {{ dbt.cast('buyers', 'double precision') }} / viewers end
        as view_to_purchase_rate
from filled
