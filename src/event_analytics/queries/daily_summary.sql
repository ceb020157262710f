-- analytics.daily_summary for the window: one row per day, zeros for a day without events.
-- Revenue sums every cleaned event whatever its type, in exact decimals.
SELECT
    calendar.day AS date,
    count(c.event_id) AS events,
    count(DISTINCT c.user_id) AS active_users,
    coalesce(sum(CASE WHEN c.event_type = 'purchase' THEN 1 ELSE 0 END), 0) AS purchases,
    CAST(coalesce(sum(c.revenue), 0) AS DECIMAL(38,4)) AS revenue
FROM (
    SELECT CAST(gs AS DATE) AS day
    FROM generate_series(
        CAST($window_start AS TIMESTAMP),
        CAST($window_end AS TIMESTAMP) - INTERVAL '1 day',
        INTERVAL '1 day'
    ) AS days(gs)
) AS calendar
LEFT JOIN analytics.cleaned_events AS c
    ON c.event_date = calendar.day
GROUP BY calendar.day
