-- Replace the window's rows with the freshly parsed lines. Runs inside one transaction.
DELETE FROM raw.events
WHERE occurred_at >= $window_start AND occurred_at < $window_end;

DELETE FROM raw.rejected_events
WHERE partition_date >= CAST($window_start AS DATE) AND partition_date < CAST($window_end AS DATE);

DELETE FROM raw.landed_files
WHERE partition_date >= CAST($window_start AS DATE) AND partition_date < CAST($window_end AS DATE);
