-- Move one batch of parsed lines into their tables: usable rows, rejected lines, file tally.
INSERT INTO raw.events
SELECT event_id, user_id, event_type, occurred_at, partition_date, revenue,
       properties, extra, source_file, line_number
FROM parsed_lines
WHERE NOT is_blank AND reason IS NULL;

INSERT INTO raw.rejected_events
SELECT partition_date, source_file, line_number, raw_line, reason, detail
FROM parsed_lines
WHERE NOT is_blank AND reason IS NOT NULL;
