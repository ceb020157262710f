-- Judge every line of `landed_lines` against the landing-zone contract (docs/landing-zone.md):
-- the view `validated` gives the verdict per line, and the validator streams it out. The first
-- failing rule wins, in the contract's order. Runs on an in-memory DuckDB that holds nothing
-- else: the validator's engine, not the warehouse.
--
-- Input: partition_date, source_file, line_number, raw (the line's bytes, line break
-- excluded) and text (the same as VARCHAR, NULL where it still has to be decoded).
--
-- The common line costs two JSON parses: `json_keys` (valid JSON? which top-level keys?) and
-- one `json_transform` into the six contract fields. Everything else runs only on the few
-- lines that need it:
-- - DuckDB's parser is more lenient than the contract (trailing commas, `nan`/`inf` in any
--   case, no nesting limit): a cheap pattern picks the lines where that could matter, and on
--   those the line with its strings emptied (the skeleton) decides;
-- - a line with keys outside the contract is transformed once more, into a map, for `extra`;
-- - DuckDB reads numbers as doubles, so `revenue` is judged from its own digits in the line.

-- The kind of a JSON fragment from its first character: a string, object, array, boolean or
-- number (NaN and Infinity included); NULL for no fragment or a JSON null.
CREATE OR REPLACE TEMP MACRO json_kind(fragment) AS CASE WHEN fragment IS NOT NULL THEN
    CASE left(fragment, 1)
        WHEN '"' THEN 'VARCHAR' WHEN '{' THEN 'OBJECT' WHEN '[' THEN 'ARRAY'
        WHEN 't' THEN 'BOOLEAN' WHEN 'f' THEN 'BOOLEAN' WHEN 'n' THEN NULL
        ELSE 'NUMBER' END
    END;

-- The text of a JSON string fragment, decoded (escapes included); NULL for other kinds.
CREATE OR REPLACE TEMP MACRO json_text(fragment) AS
    CASE WHEN starts_with(fragment, '"') THEN fragment ->> '$' END;

CREATE OR REPLACE TEMP VIEW validated AS
WITH decoded AS (
    SELECT partition_date, source_file, line_number, raw,
           coalesce(text, try(decode(raw))) AS line
    FROM landed_lines
),
parsed AS (
    -- Past 16 MiB a line is not parsed at all (each parse holds ~16 bytes per JSON value).
    -- (`CASE`, not `try()`: DuckDB evaluates a CASE branch only on the rows it selects, while
    -- `try` would run row by row.)
    SELECT *,
           CASE WHEN strlen(line) <= 16777216 AND json_valid(line) THEN json_keys(line) END
               AS lenient_keys
    FROM decoded
),
skeletons AS (
    -- Where the lenient parser may have accepted what the contract does not: a comma before
    -- a closing bracket, a bare word after a separator (nan, inf, or a legal null/NaN), or
    -- enough brackets for 101 levels (which takes at least 202 bytes). The skeleton (every
    -- string emptied) is only built for those lines. Each pattern starts with a literal
    -- character, which the regex engine finds with a fast scan; one pattern with all the
    -- alternatives costs several times more.
    SELECT *,
           CASE WHEN lenient_keys IS NOT NULL
                 AND (regexp_matches(line, ',\s*(?:[\]}]|[-+]?[nNiI])')
                      OR regexp_matches(line, ':\s*[-+]?[nNiI]')
                      OR regexp_matches(line, '\[\s*[-+]?[nNiI]')
                      OR regexp_matches(line, '^\s*[-+]?[nNiI]')
                      OR CASE WHEN strlen(line) > 201
                              THEN strlen(line) - strlen(replace(replace(line, '[', ''), '{', ''))
                                   > 100 END)
                THEN regexp_replace(line, '"(?:[^"\\]|\\.)*"', '""', 'g') END AS skeleton
    FROM parsed
),
strict AS (
    SELECT *,
           CASE
               WHEN strlen(line) > 16777216 THEN 'too_long'
               WHEN lenient_keys IS NULL THEN 'syntax'
               WHEN skeleton IS NULL THEN NULL
               WHEN regexp_matches(skeleton, ',\s*[\]}]') THEN 'syntax'
               WHEN len(list_filter(
                       regexp_extract_all(skeleton, '-?[A-Za-z]+'),
                       lambda word: word NOT IN
                           ('true', 'false', 'null', 'NaN', 'Infinity', '-Infinity', 'e', 'E')))
                    > 0
                   THEN 'syntax'
               -- At most 100 levels: the brackets read (open (open ... close)* close)*.
               WHEN NOT regexp_full_match(
                       regexp_replace(skeleton, '[^\[\]{}]+', '', 'g'),
                       repeat('(?:[\[{]', 100) || repeat('[\]}])*', 100))
                   THEN 'too_deep'
           END AS json_problem
    FROM skeletons
),
shaped AS (
    -- Blank lines are not JSON, so only a line the parser refused can be blank.
    SELECT *,
           CASE WHEN lenient_keys IS NULL AND line IS NOT NULL
                THEN regexp_full_match(line, '[ \t\r]*') ELSE false END AS is_blank,
           CASE WHEN json_problem IS NOT NULL THEN NULL
                WHEN starts_with(line, '{') OR regexp_matches(line, '^[ \t\r]*\{') THEN 'OBJECT'
                ELSE json_type(line) END AS doc_type
    FROM strict
),
members AS (
    SELECT *,
           CASE WHEN doc_type = 'OBJECT' THEN json_transform(line,
               '{"event_id": "JSON", "user_id": "JSON", "event_type": "JSON",
                 "occurred_at": "JSON", "revenue": "JSON", "properties": "JSON"}') END
               AS contract
    FROM shaped
),
keyed AS (
    -- When every top-level key is a contract field with a value, no key is duplicated and
    -- none is extra: counting the fields found answers that for most lines. The key lists are
    -- only compared for the others (a null member, an extra key, a duplicate).
    SELECT *,
           doc_type = 'OBJECT' AND len(lenient_keys) <>
               (contract.event_id IS NOT NULL)::INTEGER + (contract.user_id IS NOT NULL)::INTEGER
               + (contract.event_type IS NOT NULL)::INTEGER
               + (contract.occurred_at IS NOT NULL)::INTEGER
               + (contract.revenue IS NOT NULL)::INTEGER
               + (contract.properties IS NOT NULL)::INTEGER AS irregular_keys
    FROM members
),
compared AS (
    SELECT *,
           -- (CASE, not AND: AND evaluates both sides on every row.)
           CASE WHEN irregular_keys
                THEN len(lenient_keys) <> len(list_distinct(lenient_keys)) END AS duplicated,
           CASE WHEN irregular_keys THEN NOT list_has_all(
               ['event_id', 'user_id', 'event_type', 'occurred_at', 'revenue', 'properties'],
               lenient_keys) END AS has_extra
    FROM keyed
),
extras AS (
    SELECT *,
           CASE WHEN has_extra AND NOT duplicated
                THEN json_transform(line, '"MAP(VARCHAR, JSON)"') END AS all_members
    FROM compared
),
fields AS (
    SELECT *,
           contract.event_id AS event_id_json,
           json_kind(contract.event_id) AS event_id_kind,
           contract.user_id AS user_id_json,
           json_kind(contract.user_id) AS user_id_kind,
           contract.event_type AS event_type_json,
           json_kind(contract.event_type) AS event_type_kind,
           contract.occurred_at AS occurred_at_json,
           json_kind(contract.occurred_at) AS occurred_at_kind,
           json_kind(contract.revenue) AS revenue_kind,
           contract.properties AS properties_json,
           json_kind(contract.properties) AS properties_kind
    FROM extras
),
strings AS (
    SELECT *,
           json_text(event_id_json) AS event_id,
           json_text(user_id_json) AS user_id,
           json_text(event_type_json) AS event_type,
           json_text(occurred_at_json) AS occurred_at_text
    FROM fields
),
revenue_split AS (
    -- The line cut at each `"revenue":` (plain or \u-escaped), for lines whose top-level
    -- revenue is a number. The top-level key always cuts the line; if it is the only cut, the
    -- number after it is the revenue's own text.
    SELECT *,
           coalesce(revenue_kind = 'NUMBER', false) AS revenue_is_number,
           CASE WHEN revenue_kind = 'NUMBER' THEN regexp_split_to_array(line, '"(?:r|\\u0072)(?:e|\\u0065)(?:v|\\u0076)(?:e|\\u0065)(?:n|\\u006[eE])(?:u|\\u0075)(?:e|\\u0065)"\s*:') END
               AS revenue_parts
    FROM strings
),
revenue_text AS (
    -- Otherwise (a nested revenue key, or the pattern seen inside a string after a \"), every
    -- string but the revenue keys is dropped first, and the key after which exactly one
    -- bracket is open is the top-level one (duplicate keys have been rejected).
    SELECT *,
           CASE WHEN revenue_parts IS NULL THEN NULL
                WHEN len(revenue_parts) = 2 THEN regexp_extract(revenue_parts[2], '^\s*(-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|NaN|-?Infinity)', 1)
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
    SELECT *,
           regexp_extract(revenue_raw, '^(-?)([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$',
                          ['sign', 'whole', 'fraction', 'exponent']) AS number
    FROM revenue_text
),
revenue_exact AS (
    -- The number is sign * significand * 10^scale_exponent, the significand without leading or
    -- trailing zeros ('' for zero). Exponents beyond 10^15 are clamped: no rule tells them apart.
    SELECT *,
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
    SELECT *,
           CASE WHEN occurred_at_text IS NOT NULL AND regexp_full_match(
                   occurred_at_text,
                   '[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):?[0-5][0-9])')
                THEN try_cast(occurred_at_text AS TIMESTAMPTZ) AT TIME ZONE 'UTC' END AS occurred_at
    FROM revenue_exact
),
judged AS (
    SELECT *,
           CASE
               WHEN line IS NULL THEN 'invalid_utf8'
               WHEN doc_type IS NULL THEN 'invalid_json'
               WHEN doc_type <> 'OBJECT' THEN 'not_an_object'
               WHEN duplicated THEN 'duplicate_key'
               WHEN event_id_kind IS NULL THEN 'missing_event_id'
               -- A NUL character (only ever the escape \u0000 in valid JSON) cannot be stored
               -- in a text column of PostgreSQL: rejected in every field stored as text, on
               -- every backend, so that all hold the same rows.
               WHEN event_id_kind <> 'VARCHAR' OR event_id = '' OR contains(event_id, chr(0))
                   THEN 'invalid_event_id'
               WHEN user_id_kind <> 'VARCHAR' OR contains(user_id, chr(0)) THEN 'invalid_user_id'
               WHEN event_type_kind IS NULL THEN 'missing_event_type'
               WHEN event_type_kind <> 'VARCHAR' OR event_type = '' OR contains(event_type, chr(0))
                   THEN 'invalid_event_type'
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
        WHEN 'invalid_event_id' THEN CASE WHEN contains(event_id, chr(0))
            THEN 'event_id must not contain the NUL character (\u0000)'
            ELSE 'event_id must be a non-empty string, got ' || lower(json_type(event_id_json)) END
        WHEN 'invalid_user_id' THEN CASE WHEN contains(user_id, chr(0))
            THEN 'user_id must not contain the NUL character (\u0000)'
            ELSE 'user_id must be a string or null, got ' || lower(json_type(user_id_json)) END
        WHEN 'missing_event_type' THEN 'event_type is missing or null'
        WHEN 'invalid_event_type' THEN CASE WHEN contains(event_type, chr(0))
            THEN 'event_type must not contain the NUL character (\u0000)'
            ELSE 'event_type must be a non-empty string, got ' || lower(json_type(event_type_json)) END
        WHEN 'missing_occurred_at' THEN 'occurred_at is missing or null'
        WHEN 'invalid_occurred_at' THEN 'occurred_at must be an ISO-8601 timestamp with an offset, e.g. 2025-01-01T12:00:00Z'
        WHEN 'occurred_at_outside_partition' THEN 'occurred_at is ' || strftime(occurred_at, '%Y-%m-%d %H:%M:%S') || ' UTC, not on ' || strftime(partition_date, '%Y-%m-%d')
        WHEN 'invalid_revenue' THEN 'revenue must be a finite JSON number or null'
        WHEN 'negative_revenue' THEN 'revenue must not be negative'
        WHEN 'revenue_out_of_range' THEN 'revenue must be below 10^14'
        WHEN 'revenue_too_precise' THEN 'revenue has more than 4 fraction digits; it is rejected, not rounded'
        WHEN 'invalid_properties' THEN 'properties must be an object or null, got ' || lower(json_type(properties_json))
    END AS detail,
    -- A raw NUL byte (never valid JSON) is kept as the text \x00, as an invalid_utf8 line's
    -- bytes are: no text column of PostgreSQL can hold it.
    CASE WHEN reason IS NOT NULL THEN replace(coalesce(line, raw::VARCHAR), chr(0), '\x00') END
        AS raw_line,
    event_id,
    nullif(user_id, '') AS user_id,
    event_type,
    occurred_at,
    CASE WHEN reason IS NOT NULL THEN NULL
         WHEN NOT revenue_is_number OR significand = '' THEN CAST(0 AS DECIMAL(18,4))
         ELSE CAST(CAST(significand || 'e' || scale_exponent AS DECIMAL(38,4)) AS DECIMAL(18,4))
    END AS revenue,
    CASE WHEN reason IS NULL AND properties_kind = 'OBJECT' THEN properties_json END AS properties,
    CASE WHEN reason IS NULL AND has_extra THEN nullif(to_json(map_from_entries(list_filter(
        map_entries(all_members),
        lambda member: member.key NOT IN
            ('event_id', 'user_id', 'event_type', 'occurred_at', 'revenue', 'properties')))),
        '{}') END AS extra
FROM judged;
