-- Validate the landed lines registered as `landed_lines` and keep the verdict per line in the
-- temp table `parsed_lines`. The first failing rule wins, in the order of docs/landing-zone.md.
CREATE OR REPLACE TEMP TABLE parsed_lines AS
WITH decoded AS (
    SELECT partition_date, source_file, line_number, raw, try(decode(raw)) AS text_crlf
    FROM landed_lines
),
lines AS (
    -- Each raw line still ends with its line break: drop one "\n", then one "\r" (CRLF).
    SELECT *, regexp_replace(text_crlf, '\r?\n?$', '') AS line
    FROM decoded
),
classified AS (
    SELECT
        *,
        coalesce(regexp_full_match(line, '[ \t\r]*'), false) AS is_blank,
        CASE WHEN line IS NOT NULL AND json_valid(line) THEN line::JSON END AS doc
    FROM lines
),
fields AS (
    SELECT
        *,
        json_type(doc) AS doc_type,
        CASE WHEN json_type(doc) = 'OBJECT' THEN json_keys(doc) END AS doc_keys,
        json_type(doc, '$.event_id') AS event_id_type,
        json_extract_string(doc, '$.event_id') AS event_id,
        json_type(doc, '$.user_id') AS user_id_type,
        json_extract_string(doc, '$.user_id') AS user_id,
        json_type(doc, '$.event_type') AS event_type_type,
        json_extract_string(doc, '$.event_type') AS event_type,
        json_type(doc, '$.occurred_at') AS occurred_at_type,
        json_extract_string(doc, '$.occurred_at') AS occurred_at_text,
        json_type(doc, '$.revenue') AS revenue_type,
        json_type(doc, '$.properties') AS properties_type
    FROM classified
),
typed AS (
    SELECT
        *,
        CASE WHEN occurred_at_type = 'VARCHAR' AND regexp_full_match(
                occurred_at_text,
                '[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):?[0-5][0-9])')
             THEN try_cast(occurred_at_text AS TIMESTAMPTZ) AT TIME ZONE 'UTC' END AS occurred_at,
        revenue_type IN ('BIGINT', 'UBIGINT', 'HUGEINT', 'DOUBLE') AS revenue_is_number,
        CASE WHEN revenue_type IN ('BIGINT', 'UBIGINT', 'HUGEINT', 'DOUBLE')
             THEN json_extract(doc, '$.revenue')::DOUBLE END AS revenue_approx,
        -- json_transform reads the number's own digits, so DECIMAL targets are exact; the wide
        -- one exposes digits beyond the fourth fraction place instead of rounding them away.
        CASE WHEN revenue_type IN ('BIGINT', 'UBIGINT', 'HUGEINT', 'DOUBLE')
             THEN json_transform(doc, '{"revenue": "DECIMAL(38,20)"}').revenue END AS revenue_wide
    FROM fields
),
judged AS (
    SELECT
        *,
        CASE
            WHEN text_crlf IS NULL THEN 'invalid_utf8'
            WHEN doc IS NULL THEN 'invalid_json'
            WHEN doc_type <> 'OBJECT' THEN 'not_an_object'
            WHEN len(doc_keys) <> len(list_distinct(doc_keys)) THEN 'duplicate_key'
            WHEN event_id_type IS NULL OR event_id_type = 'NULL' THEN 'missing_event_id'
            WHEN event_id_type <> 'VARCHAR' OR event_id = '' THEN 'invalid_event_id'
            WHEN user_id_type NOT IN ('NULL', 'VARCHAR') THEN 'invalid_user_id'
            WHEN event_type_type IS NULL OR event_type_type = 'NULL' THEN 'missing_event_type'
            WHEN event_type_type <> 'VARCHAR' OR event_type = '' THEN 'invalid_event_type'
            WHEN occurred_at_type IS NULL OR occurred_at_type = 'NULL' THEN 'missing_occurred_at'
            WHEN occurred_at IS NULL THEN 'invalid_occurred_at'
            WHEN occurred_at < partition_date::TIMESTAMP
              OR occurred_at >= partition_date::TIMESTAMP + INTERVAL 1 DAY
                THEN 'occurred_at_outside_partition'
            WHEN revenue_type IS NOT NULL AND revenue_type <> 'NULL' AND NOT revenue_is_number
                THEN 'invalid_revenue'
            WHEN revenue_is_number AND NOT isfinite(revenue_approx) THEN 'invalid_revenue'
            WHEN revenue_is_number AND revenue_approx < 0 THEN 'negative_revenue'
            WHEN revenue_is_number AND (revenue_wide IS NULL OR revenue_wide >= 100000000000000)
                THEN 'revenue_out_of_range'
            WHEN revenue_is_number AND (
                revenue_wide <> round(revenue_wide, 4)
                -- digits beyond the wide type's 20 places, which it would round away
                OR regexp_matches(line, '"revenue"\s*:\s*-?[0-9]*\.[0-9]{20}[0-9]*[1-9]')
                OR regexp_matches(line, '"revenue"\s*:\s*-?[0-9]*\.?[0-9]*[1-9][0-9]*[eE]-0*(1[7-9]|[2-9][0-9]|[0-9]{3,})'))
                THEN 'revenue_too_precise'
            WHEN properties_type NOT IN ('NULL', 'OBJECT') THEN 'invalid_properties'
        END AS reason
    FROM typed
)
SELECT
    partition_date,
    source_file,
    line_number,
    is_blank,
    reason,
    CASE reason
        WHEN 'invalid_utf8' THEN 'the line is not valid UTF-8'
        WHEN 'invalid_json' THEN 'the line is not valid JSON'
        WHEN 'not_an_object' THEN 'the line is JSON but not an object (it is ' || lower(doc_type) || ')'
        WHEN 'duplicate_key' THEN 'a top-level key appears more than once'
        WHEN 'missing_event_id' THEN 'event_id is missing or null'
        WHEN 'invalid_event_id' THEN 'event_id must be a non-empty string, got ' || lower(event_id_type)
        WHEN 'invalid_user_id' THEN 'user_id must be a string or null, got ' || lower(user_id_type)
        WHEN 'missing_event_type' THEN 'event_type is missing or null'
        WHEN 'invalid_event_type' THEN 'event_type must be a non-empty string, got ' || lower(event_type_type)
        WHEN 'missing_occurred_at' THEN 'occurred_at is missing or null'
        WHEN 'invalid_occurred_at' THEN 'occurred_at must be an ISO-8601 timestamp with an offset, e.g. 2025-01-01T12:00:00Z'
        WHEN 'occurred_at_outside_partition' THEN 'occurred_at is ' || strftime(occurred_at, '%Y-%m-%d %H:%M:%S') || ' UTC, not on ' || strftime(partition_date, '%Y-%m-%d')
        WHEN 'invalid_revenue' THEN 'revenue must be a finite JSON number or null'
        WHEN 'negative_revenue' THEN 'revenue must not be negative'
        WHEN 'revenue_out_of_range' THEN 'revenue must be below 10^14'
        WHEN 'revenue_too_precise' THEN 'revenue has more than 4 fraction digits; it is rejected, not rounded'
        WHEN 'invalid_properties' THEN 'properties must be an object or null, got ' || lower(properties_type)
    END AS detail,
    CASE WHEN reason IS NOT NULL
         THEN coalesce(line, regexp_replace(raw::VARCHAR, '(\\x0D)?\\x0A$', '')) END AS raw_line,
    event_id,
    nullif(user_id, '') AS user_id,
    event_type,
    occurred_at,
    CASE WHEN reason IS NULL THEN CAST(coalesce(revenue_wide, 0) AS DECIMAL(18,4)) END AS revenue,
    CASE WHEN properties_type = 'OBJECT' THEN json_extract(doc, '$.properties') END AS properties,
    nullif(
        json_remove(json_remove(json_remove(json_remove(json_remove(json_remove(
            doc, '$.event_id'), '$.user_id'), '$.event_type'), '$.occurred_at'),
            '$.revenue'), '$.properties'),
        '{}'
    ) AS extra
FROM judged;
