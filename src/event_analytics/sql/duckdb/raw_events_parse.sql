-- Validate the landed lines registered as `landed_lines` and keep the verdict per line in the
-- temp table `parsed_lines`. The first failing rule wins, in the order of docs/landing-zone.md.
--
-- DuckDB's JSON parser is more lenient than the contract (it takes trailing commas, and `nan`
-- or `inf` in any case) and has no nesting limit, and its JSON functions read numbers as
-- doubles. So the line's text is consulted twice: what lies outside strings is checked where
-- the parser would be too lenient, and the exact digits of `revenue` are taken from it.

-- The kind of a JSON fragment from its first character: a string, object, array, boolean or
-- number (NaN and Infinity included); NULL for no fragment or a JSON null.
CREATE OR REPLACE TEMP MACRO json_kind(fragment) AS CASE WHEN fragment IS NOT NULL THEN
    CASE left(fragment, 1)
        WHEN '"' THEN 'VARCHAR' WHEN '{' THEN 'OBJECT' WHEN '[' THEN 'ARRAY'
        WHEN 't' THEN 'BOOLEAN' WHEN 'f' THEN 'BOOLEAN' WHEN 'n' THEN NULL
        ELSE 'NUMBER' END
    END;

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
        -- The parse holds ~16 bytes per JSON value: past 16 MiB a line is not parsed at all.
        CASE WHEN strlen(line) <= 16777216 THEN try_cast(line AS JSON) END AS lenient_doc
    FROM lines
),
skeletons AS (
    -- The line with every string emptied, only where the parser may have been too lenient:
    -- a comma before a closing bracket, a bare word that may be nan/inf, or more than 100
    -- opening brackets. One cheap pattern selects these few lines; the skeleton decides.
    SELECT
        *,
        CASE WHEN lenient_doc IS NOT NULL AND regexp_matches(
                line, ',\s*[\]}]|(?:^|[\[:,])\s*-?(?i:nan|inf)|(?:[^\[{]*[\[{]){101}')
             THEN regexp_replace(line, '"(?:[^"\\]|\\.)*"', '""', 'g') END AS skeleton
    FROM classified
),
strict AS (
    SELECT
        *,
        CASE
            WHEN strlen(line) > 16777216 THEN 'too_long'
            WHEN lenient_doc IS NULL THEN 'syntax'
            WHEN skeleton IS NULL THEN NULL
            WHEN regexp_matches(skeleton, ',\s*[\]}]') THEN 'syntax'
            WHEN len(list_filter(
                    regexp_extract_all(skeleton, '-?[A-Za-z]+'),
                    lambda word: word NOT IN
                        ('true', 'false', 'null', 'NaN', 'Infinity', '-Infinity', 'e', 'E'))) > 0
                THEN 'syntax'
            -- At most 100 levels: the brackets read (open (open ... close)* close)*.
            WHEN NOT regexp_full_match(
                    regexp_replace(skeleton, '[^\[\]{}]+', '', 'g'),
                    repeat('(?:[\[{]', 100) || repeat('[\]}])*', 100))
                THEN 'too_deep'
        END AS json_problem
    FROM skeletons
),
parsed AS (
    SELECT *, CASE WHEN json_problem IS NULL AND NOT is_blank THEN lenient_doc END AS doc
    FROM strict
),
shaped AS (
    SELECT
        *,
        CASE WHEN doc IS NULL THEN NULL
             WHEN regexp_matches(line, '^[ \t\r]*\{') THEN 'OBJECT'
             ELSE json_type(doc) END AS doc_type
    FROM parsed
),
keyed AS (
    SELECT *, CASE WHEN doc_type = 'OBJECT' THEN json_keys(doc) END AS doc_keys
    FROM shaped
),
members AS (
    -- Each top-level member as a JSON fragment, from ONE more parse of the line: every JSON
    -- function call holds its own parse of a whole vector of lines, so a 10 MB line costs
    -- ~45 MB per call and the calls on the full line are kept to three (cast, keys, this).
    SELECT
        *,
        CASE WHEN doc_type = 'OBJECT' AND len(doc_keys) = len(list_distinct(doc_keys))
             THEN json_transform(doc, '"MAP(VARCHAR, JSON)"') END AS members
    FROM keyed
),
fields AS (
    -- A member's kind from its fragment's first character (a JSON null reads as absent).
    SELECT
        *,
        members['event_id'] AS event_id_json,
        json_kind(members['event_id']) AS event_id_kind,
        members['user_id'] AS user_id_json,
        json_kind(members['user_id']) AS user_id_kind,
        members['event_type'] AS event_type_json,
        json_kind(members['event_type']) AS event_type_kind,
        members['occurred_at'] AS occurred_at_json,
        json_kind(members['occurred_at']) AS occurred_at_kind,
        json_kind(members['revenue']) AS revenue_kind,
        members['properties'] AS properties_json,
        json_kind(members['properties']) AS properties_kind
    FROM members
),
strings AS (
    SELECT
        *,
        CASE WHEN event_id_kind = 'VARCHAR' THEN event_id_json ->> '$' END AS event_id,
        CASE WHEN user_id_kind = 'VARCHAR' THEN user_id_json ->> '$' END AS user_id,
        CASE WHEN event_type_kind = 'VARCHAR' THEN event_type_json ->> '$' END AS event_type,
        CASE WHEN occurred_at_kind = 'VARCHAR' THEN occurred_at_json ->> '$' END
            AS occurred_at_text
    FROM fields
),
revenue_split AS (
    -- The line cut at each `"revenue":` (plain or \u-escaped), for lines whose top-level
    -- revenue is a number. The top-level key always cuts the line; if it is the only cut, the
    -- number after it is the revenue's own text.
    SELECT
        *,
        coalesce(revenue_kind = 'NUMBER', false) AS revenue_is_number,
        CASE WHEN revenue_kind = 'NUMBER' THEN regexp_split_to_array(line, '"(?:r|\\u0072)(?:e|\\u0065)(?:v|\\u0076)(?:e|\\u0065)(?:n|\\u006[eE])(?:u|\\u0075)(?:e|\\u0065)"\s*:') END
            AS revenue_parts
    FROM strings
),
revenue_text AS (
    -- Otherwise (a nested revenue key, or the pattern seen inside a string after a \"), every
    -- string but the revenue keys is dropped first, and the key after which exactly one
    -- bracket is open is the top-level one (duplicate keys have been rejected).
    SELECT
        *,
        CASE WHEN len(revenue_parts) = 2 THEN regexp_extract(revenue_parts[2], '^\s*(-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|NaN|-?Infinity)', 1)
        ELSE list_filter(list_transform(
            [regexp_split_to_array(
                regexp_replace(line, '("(?:r|\\u0072)(?:e|\\u0065)(?:v|\\u0076)(?:e|\\u0065)(?:n|\\u006[eE])(?:u|\\u0075)(?:e|\\u0065)"\s*:)|"(?:[^"\\]|\\.)*"', '\1', 'g'), '"(?:r|\\u0072)(?:e|\\u0065)(?:v|\\u0076)(?:e|\\u0065)(?:n|\\u006[eE])(?:u|\\u0075)(?:e|\\u0065)"\s*:')],
            lambda parts: list_transform(
                range(2, len(parts) + 1),
                lambda i: CASE WHEN list_transform(
                        [array_to_string(parts[1:i - 1], '')],
                        lambda before: strlen(translate(before, ']}', ''))
                                       - strlen(translate(before, '[{', '')))[1] = 1
                    THEN regexp_extract(parts[i], '^\s*(-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|NaN|-?Infinity)', 1) END))[1],
            lambda number: number IS NOT NULL)[1]
        END AS revenue_raw
    FROM revenue_split
),
revenue_digits AS (
    SELECT
        *,
        regexp_extract(revenue_raw, '^(-?)([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$',
                       ['sign', 'whole', 'fraction', 'exponent']) AS number
    FROM revenue_text
),
revenue_exact AS (
    -- The number is sign * significand * 10^scale_exponent, the significand without leading or
    -- trailing zeros ('' for zero). Exponents beyond 10^15 are clamped: no rule tells them apart.
    SELECT
        *,
        rtrim(ltrim(number.whole || number.fraction, '0'), '0') AS significand,
        CASE
            WHEN number.exponent = '' THEN 0
            WHEN strlen(ltrim(ltrim(number.exponent, '+-'), '0')) > 15
                THEN CASE WHEN number.exponent[1] = '-' THEN -1000000000000000 ELSE 1000000000000000 END
            ELSE CAST(number.exponent AS BIGINT)
        END
        + (strlen(ltrim(number.whole || number.fraction, '0'))
           - strlen(rtrim(ltrim(number.whole || number.fraction, '0'), '0')))
        - strlen(number.fraction) AS scale_exponent
    FROM revenue_digits
),
typed AS (
    SELECT
        *,
        CASE WHEN occurred_at_text IS NOT NULL AND regexp_full_match(
                occurred_at_text,
                '[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):?[0-5][0-9])')
             THEN try_cast(occurred_at_text AS TIMESTAMPTZ) AT TIME ZONE 'UTC' END AS occurred_at
    FROM revenue_exact
),
judged AS (
    SELECT
        *,
        CASE
            WHEN text_crlf IS NULL THEN 'invalid_utf8'
            WHEN doc IS NULL THEN 'invalid_json'
            WHEN doc_type <> 'OBJECT' THEN 'not_an_object'
            WHEN len(doc_keys) <> len(list_distinct(doc_keys)) THEN 'duplicate_key'
            WHEN event_id_kind IS NULL THEN 'missing_event_id'
            WHEN event_id_kind <> 'VARCHAR' OR event_id = '' THEN 'invalid_event_id'
            WHEN user_id_kind <> 'VARCHAR' THEN 'invalid_user_id'
            WHEN event_type_kind IS NULL THEN 'missing_event_type'
            WHEN event_type_kind <> 'VARCHAR' OR event_type = '' THEN 'invalid_event_type'
            WHEN occurred_at_kind IS NULL THEN 'missing_occurred_at'
            WHEN occurred_at IS NULL THEN 'invalid_occurred_at'
            WHEN occurred_at < partition_date::TIMESTAMP
              OR occurred_at >= partition_date::TIMESTAMP + INTERVAL 1 DAY
                THEN 'occurred_at_outside_partition'
            WHEN revenue_kind <> 'NUMBER' THEN 'invalid_revenue'
            -- NaN, Infinity, -Infinity (or, defensively, digits that could not be located)
            WHEN revenue_is_number AND coalesce(number.whole, '') = '' THEN 'invalid_revenue'
            WHEN revenue_is_number AND number.sign = '-' AND significand <> '' THEN 'negative_revenue'
            WHEN revenue_is_number AND significand <> ''
             AND strlen(significand) + scale_exponent > 14 THEN 'revenue_out_of_range'
            WHEN revenue_is_number AND significand <> '' AND scale_exponent < -4
                THEN 'revenue_too_precise'
            WHEN properties_kind <> 'OBJECT' THEN 'invalid_properties'
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
        WHEN 'invalid_json' THEN CASE json_problem
            WHEN 'too_deep' THEN 'the line nests JSON more than 100 levels deep'
            WHEN 'too_long' THEN 'the line is ' || strlen(line) || ' bytes, over the 16 MiB a line may have'
            ELSE 'the line is not valid JSON' END
        WHEN 'not_an_object' THEN 'the line is JSON but not an object (it is ' || lower(doc_type) || ')'
        WHEN 'duplicate_key' THEN 'a top-level key appears more than once'
        WHEN 'missing_event_id' THEN 'event_id is missing or null'
        WHEN 'invalid_event_id' THEN 'event_id must be a non-empty string, got ' || lower(json_type(event_id_json))
        WHEN 'invalid_user_id' THEN 'user_id must be a string or null, got ' || lower(json_type(user_id_json))
        WHEN 'missing_event_type' THEN 'event_type is missing or null'
        WHEN 'invalid_event_type' THEN 'event_type must be a non-empty string, got ' || lower(json_type(event_type_json))
        WHEN 'missing_occurred_at' THEN 'occurred_at is missing or null'
        WHEN 'invalid_occurred_at' THEN 'occurred_at must be an ISO-8601 timestamp with an offset, e.g. 2025-01-01T12:00:00Z'
        WHEN 'occurred_at_outside_partition' THEN 'occurred_at is ' || strftime(occurred_at, '%Y-%m-%d %H:%M:%S') || ' UTC, not on ' || strftime(partition_date, '%Y-%m-%d')
        WHEN 'invalid_revenue' THEN 'revenue must be a finite JSON number or null'
        WHEN 'negative_revenue' THEN 'revenue must not be negative'
        WHEN 'revenue_out_of_range' THEN 'revenue must be below 10^14'
        WHEN 'revenue_too_precise' THEN 'revenue has more than 4 fraction digits; it is rejected, not rounded'
        WHEN 'invalid_properties' THEN 'properties must be an object or null, got ' || lower(json_type(properties_json))
    END AS detail,
    CASE WHEN reason IS NOT NULL
         THEN coalesce(line, regexp_replace(raw::VARCHAR, '(\\x0D)?\\x0A$', '')) END AS raw_line,
    event_id,
    nullif(user_id, '') AS user_id,
    event_type,
    occurred_at,
    CASE WHEN reason IS NOT NULL THEN NULL
         WHEN NOT revenue_is_number OR significand = '' THEN CAST(0 AS DECIMAL(18,4))
         ELSE CAST(CAST(significand || 'e' || scale_exponent AS DECIMAL(38,4)) AS DECIMAL(18,4))
    END AS revenue,
    CASE WHEN reason IS NULL AND properties_kind = 'OBJECT' THEN properties_json END AS properties,
    CASE WHEN reason IS NULL THEN nullif(to_json(map_from_entries(list_filter(
        map_entries(members),
        lambda member: member.key NOT IN
            ('event_id', 'user_id', 'event_type', 'occurred_at', 'revenue', 'properties')))),
        '{}') END AS extra
FROM judged;
