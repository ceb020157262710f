-- analytics.cleaned_events for the window [window_start, window_end), in the guide's order:
-- drop rows without a user, then keep one row per (day, event_id): the earliest, ties broken
-- by where it landed (file, then line), so the choice never depends on scan order.
SELECT event_id, user_id, event_type, occurred_at, event_date, revenue,
       properties, extra, source_file, source_line
FROM (
    SELECT
        r.*,
        row_number() OVER (
            PARTITION BY r.event_date, r.event_id
            ORDER BY r.occurred_at, r.source_file, r.source_line
        ) AS keep_rank
    FROM raw.events AS r
    WHERE r.event_date >= CAST($window_start AS DATE)
      AND r.event_date < CAST($window_end AS DATE)
      AND r.user_id IS NOT NULL
) AS ranked
WHERE keep_rank = 1
