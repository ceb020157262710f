-- Every table the platform writes. Idempotent: run at the start of each write transaction.
-- No primary keys: DuckDB checks them eagerly inside a delete-then-insert transaction; the
-- asset checks enforce uniqueness instead.
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS analytics;

CREATE TABLE IF NOT EXISTS raw.events (
    event_id     VARCHAR       NOT NULL,
    user_id      VARCHAR,
    event_type   VARCHAR       NOT NULL,
    occurred_at  TIMESTAMP     NOT NULL,
    event_date   DATE          NOT NULL,
    revenue      DECIMAL(18,4) NOT NULL,
    properties   JSON,
    extra        JSON,
    source_file  VARCHAR       NOT NULL,
    source_line  BIGINT        NOT NULL
);

CREATE TABLE IF NOT EXISTS raw.rejected_events (
    partition_date DATE    NOT NULL,
    source_file    VARCHAR NOT NULL,
    line_number    BIGINT,
    raw_line       VARCHAR,
    reason         VARCHAR NOT NULL,
    detail         VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS raw.landed_files (
    partition_date DATE      NOT NULL,
    source_file    VARCHAR   NOT NULL,
    size_bytes     BIGINT    NOT NULL,
    modified_at    TIMESTAMP NOT NULL,
    status         VARCHAR   NOT NULL,
    lines_read     BIGINT    NOT NULL,
    blank_lines    BIGINT    NOT NULL,
    rows_loaded    BIGINT    NOT NULL,
    rows_rejected  BIGINT    NOT NULL
);

CREATE TABLE IF NOT EXISTS analytics.cleaned_events (
    event_id     VARCHAR       NOT NULL,
    user_id      VARCHAR       NOT NULL,
    event_type   VARCHAR       NOT NULL,
    occurred_at  TIMESTAMP     NOT NULL,
    event_date   DATE          NOT NULL,
    revenue      DECIMAL(18,4) NOT NULL,
    properties   JSON,
    extra        JSON,
    source_file  VARCHAR       NOT NULL,
    source_line  BIGINT        NOT NULL
);

CREATE TABLE IF NOT EXISTS analytics.daily_summary (
    date          DATE          NOT NULL,
    events        BIGINT        NOT NULL,
    active_users  BIGINT        NOT NULL,
    purchases     BIGINT        NOT NULL,
    revenue       DECIMAL(38,4) NOT NULL
);
