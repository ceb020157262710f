"""The platform's settings: one place that names every environment variable and its default.

Resources read these through `dagster.EnvVar` when the variable is set, so the UI shows where a
value comes from; the defaults make a fresh clone work with no configuration at all.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import dagster as dg


@dataclass(frozen=True)
class Setting:
    """An environment variable the platform reads, with its local default."""

    env_var: str
    default: str
    description: str

    def value(self) -> str:
        """The current value: the environment's, or the default when unset or empty."""
        return os.environ.get(self.env_var) or self.default

    def for_resource(self) -> str | dg.EnvVar:
        """What to hand a resource field: an `EnvVar` when set, so the UI shows its origin."""
        if os.environ.get(self.env_var):
            return dg.EnvVar(self.env_var)
        return self.default

    def for_int_resource(self) -> int:
        """Like `for_resource`, for a whole-number field."""
        if os.environ.get(self.env_var):
            return dg.EnvVar.int(self.env_var)
        return int(self.default)


WAREHOUSE_URL = Setting(
    "WAREHOUSE_URL",
    "duckdb:///data/warehouse.duckdb",
    "Where the tables live. `duckdb:///relative/path.duckdb` or `duckdb:////absolute/path`.",
)
DUCKDB_MEMORY_LIMIT = Setting(
    "DUCKDB_MEMORY_LIMIT",
    "1GB",
    "Memory DuckDB may use per process before spilling to disk (e.g. 512MB, 4GB).",
)
DUCKDB_LOCK_TIMEOUT_SECONDS = Setting(
    "DUCKDB_LOCK_TIMEOUT_SECONDS",
    "300",
    "How long a writer waits for another program's lock on the DuckDB file before failing.",
)
EVENTS_LANDING_URL = Setting(
    "EVENTS_LANDING_URL",
    "data/landing",
    "Root of the landing zone; events are read from `<root>/events/date=YYYY-MM-DD/`.",
)
EVENTS_START_DATE = Setting(
    "EVENTS_START_DATE",
    "2025-01-01",
    "First day of the daily partitions. Set it earlier if your history starts earlier.",
)
DAGSTER_UI_URL = Setting(
    "DAGSTER_UI_URL",
    "http://localhost:3000",
    "Base URL of the Dagster UI, used in links that alerts and logs point to.",
)

DBT_TARGET = Setting(
    "DBT_TARGET",
    "duckdb",
    "The marts' dbt target: `duckdb` (the warehouse file) or `postgres` (libpq's PGHOST, "
    "PGPORT, PGUSER, PGPASSWORD, PGDATABASE).",
)

# Alerts (see docs/alerts.md). With none of these set, alerts are written to the sensor logs only.
ALERT_WEBHOOK_URL = Setting(
    "ALERT_WEBHOOK_URL",
    "",
    "Generic JSON webhook that receives every alert as one POST (a secret: never logged).",
)
SLACK_BOT_TOKEN = Setting(
    "SLACK_BOT_TOKEN",
    "",
    "Slack bot token (xoxb-...) with chat:write; alerts go to SLACK_CHANNEL when set.",
)
SLACK_CHANNEL = Setting(
    "SLACK_CHANNEL",
    "#data-alerts",
    "Slack channel the bot posts alerts to (the bot must be a member of it).",
)

ALL_SETTINGS = (
    WAREHOUSE_URL,
    DUCKDB_MEMORY_LIMIT,
    DUCKDB_LOCK_TIMEOUT_SECONDS,
    EVENTS_LANDING_URL,
    EVENTS_START_DATE,
    DAGSTER_UI_URL,
    ALERT_WEBHOOK_URL,
    SLACK_BOT_TOKEN,
    SLACK_CHANNEL,
)
