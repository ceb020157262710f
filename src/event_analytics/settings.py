"""The platform's settings: every environment variable it reads, with its default and its parser.

Each `Setting` names one variable, the local default that makes a fresh clone work with no
configuration, and the one function that turns its text into a value (see `setting_parsers`).
The platform reads settings only through `Setting.value()` / `Setting.parse()`, so the command
line, the resources, the sensors and `event-analytics check-config` can never read the same
variable in two ways. (libpq reads PGPASSWORD itself too; dbt's profile gets the warehouse
from the platform, `event_analytics.dbt.environment`.) `SETTINGS` is the registry:
check-config validates all of it, and the README's table and `.env.example` list exactly it
(a test checks that too).

When each setting is checked:
- a setting a resource takes (`resource=...`) is handed to it as a `dagster.EnvVar` when set,
  so the UI shows where the value comes from; the resource parses it again when it starts
  (`setup_for_execution`), before any step or sensor tick does work;
- every other setting is checked when the code location loads (`defs/resources.py`), so a bad
  threshold stops the platform before any run starts, with one message per problem.

Not settings of the platform: `DAGSTER_HOME` (Dagster's own), the `EVENT_ANALYTICS_*`
variables the platform sets for dbt's subprocess (`event_analytics.dbt.environment`), and the
standard `AWS_*` variables boto3 reads itself for an `s3://` landing zone.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from event_analytics import setting_parsers as parsers

if TYPE_CHECKING:
    import dagster as dg

T = TypeVar("T")


class SettingError(ValueError):
    """A setting's value cannot be used: the message names the variable, the value (never a
    secret's) and the fix."""


class WarehouseConfigError(SettingError):
    """The warehouse settings (`WAREHOUSE_URL`, `DUCKDB_*`) cannot be used as given."""


class LandingZoneConfigError(SettingError):
    """`EVENTS_LANDING_URL` cannot be used as given."""


@dataclass(frozen=True)
class Setting(Generic[T]):
    """An environment variable the platform reads: its default, meaning and parser.

    `secret` settings are never echoed: messages show at most a URL's scheme and host.
    `resource` names the resource that takes the setting and checks it when it starts; `None`
    means it is checked when the code location loads.
    """

    env_var: str
    default: str
    description: str
    parser: Callable[[str], T]
    secret: bool = False
    resource: str | None = None
    error: type[SettingError] = SettingError

    def raw(self, environ: Mapping[str, str] | None = None) -> str:
        """The text in effect: the environment's, or the default when unset or empty."""
        env = os.environ if environ is None else environ
        return env.get(self.env_var) or self.default

    def value(self, environ: Mapping[str, str] | None = None) -> T:
        """The value in effect, parsed; raises `SettingError` naming the variable."""
        return self.parse(self.raw(environ))

    def parse(self, text: str) -> T:
        """`text` as this setting's value, or a `SettingError` that says what to change."""
        try:
            return self.parser(text)
        except ValueError as error:
            if text.strip():
                subject = f"{self.env_var}={self.shown(text)}"
            else:
                subject = f"{self.env_var} is empty"
            raise self.error(f"{subject}: {error}.") from None

    def shown(self, text: str) -> str:
        """What an error message may show of `text`: all of it, or only a secret's host."""
        if not self.secret:
            # Not a secret, but a URL may carry one by mistake (s3://key:secret@bucket).
            return repr(parsers.without_userinfo(text))
        masked = parsers.scheme_and_host(text)
        if masked == "***":
            return "*** (hidden)"
        return f"{masked!r} (only its scheme and host shown)"

    def for_resource(self) -> str | dg.EnvVar:
        """What to hand a resource field: an `EnvVar` when set, so the UI shows its origin."""
        # Imported here: the command line reads settings and must not wait for Dagster.
        import dagster as dg

        if os.environ.get(self.env_var):
            return dg.EnvVar(self.env_var)
        return self.default

    def for_int_resource(self) -> int:
        """Like `for_resource`, for a whole-number field."""
        import dagster as dg

        if os.environ.get(self.env_var):
            return dg.EnvVar.int(self.env_var)
        return int(self.default)


@dataclass(frozen=True)
class Rule:
    """A condition on several settings together, checked once each of them parses.

    `check` gets their values in order and raises `SettingError` naming all of them.
    """

    settings: tuple[Setting[Any], ...]
    check: Callable[..., None]


# --- Warehouse --------------------------------------------------------------------------------

WAREHOUSE_URL = Setting(
    "WAREHOUSE_URL",
    "duckdb:///data/warehouse.duckdb",
    "Where the tables live, and which engine computes them: `duckdb:///relative/path.duckdb` "
    "or `duckdb:////absolute/path` (the file's folder must exist), or "
    "`postgresql://user@host:port/database` (password from PGPASSWORD or the URL, libpq "
    "options such as `?sslmode=require`), or Spark: `spark:///absolute/folder` (a local "
    "session), `spark://host:7077` (a cluster) or `sc://host:15002` (Spark Connect); the "
    "marts' dbt target follows it. May carry a "
    "password, so it is never shown in full.",
    parsers.warehouse_target,
    secret=True,
    resource="warehouse",
    error=WarehouseConfigError,
)
DUCKDB_MEMORY_LIMIT = Setting(
    "DUCKDB_MEMORY_LIMIT",
    "1GB",
    "Memory DuckDB may use per process before spilling to disk (e.g. 512MB, 4GB, 1.5GiB).",
    parsers.memory_size,
    resource="warehouse",
    error=WarehouseConfigError,
)
DUCKDB_LOCK_TIMEOUT_SECONDS = Setting(
    "DUCKDB_LOCK_TIMEOUT_SECONDS",
    "300",
    "How long (whole seconds >= 0) a writer waits for another program's lock on the DuckDB "
    "file before failing.",
    parsers.whole_number(0),
    resource="warehouse",
    error=WarehouseConfigError,
)

# --- Spark warehouse (docs/spark.md) ---------------------------------------------------------
# Read by the warehouse resource when WAREHOUSE_URL names Spark (spark://..., sc://...).

SPARK_WAREHOUSE_DIR = Setting(
    "SPARK_WAREHOUSE_DIR",
    "",
    "Where a Spark cluster's tables live: a folder or URI every node sees (e.g. "
    "hdfs://namenode/warehouse); required with WAREHOUSE_URL=spark://host:port, optional with "
    "sc:// (default: the server's own), unused with spark:///folder, which names it.",
    parsers.spark_warehouse_dir,
    resource="warehouse",
    error=WarehouseConfigError,
)
SPARK_DRIVER_MEMORY = Setting(
    "SPARK_DRIVER_MEMORY",
    "2g",
    "Memory of the Spark driver's JVM (in local mode the executors' too), e.g. 2g, 8g.",
    parsers.spark_memory,
    resource="warehouse",
    error=WarehouseConfigError,
)
SPARK_CONF = Setting(
    "SPARK_CONF",
    "",
    'Extra Spark settings as a JSON object, e.g. {"spark.executor.memory": "4g"}; may carry '
    "credentials, so it is never shown.",
    parsers.spark_conf,
    secret=True,
    resource="warehouse",
    error=WarehouseConfigError,
)


def check_spark_warehouse_dir(target: parsers.WarehouseTarget, folder: str) -> None:
    """A standalone Spark cluster needs to be told where its tables live."""
    if target.backend == "spark" and target.spark_master.startswith("spark://") and not folder:
        raise WarehouseConfigError(
            f"{WAREHOUSE_URL.env_var} names the Spark cluster {target.describe()}, but "
            f"{SPARK_WAREHOUSE_DIR.env_var} is not set: set it to a folder every node of the "
            "cluster sees (e.g. hdfs://namenode/warehouse)."
        )


# --- PostgreSQL warehouse -----------------------------------------------------------------------
# libpq (psycopg, and dbt-postgres in dbt's subprocess) reads PGPASSWORD itself, like its other
# variables (PGSSLMODE, PGCONNECT_TIMEOUT, ...); the platform hands it to dbt's profile as well.

PGPASSWORD = Setting(
    "PGPASSWORD",
    "",
    "Password of the PostgreSQL warehouse when WAREHOUSE_URL carries none (a secret).",
    parsers.text,
    secret=True,
)

# --- Landing zone and partitions --------------------------------------------------------------

EVENTS_LANDING_URL = Setting(
    "EVENTS_LANDING_URL",
    "data/landing",
    "Root of the landing zone: a path, file:///path, or s3://bucket/prefix (endpoint, region "
    "and credentials from the standard AWS variables, read by boto3); events are read from "
    "`<root>/events/date=YYYY-MM-DD/`.",
    parsers.landing_location,
    resource="landing",
    error=LandingZoneConfigError,
)
EVENTS_START_DATE = Setting(
    "EVENTS_START_DATE",
    "2025-01-01",
    "First day (YYYY-MM-DD) of the daily partitions. Set it earlier if your history does.",
    parsers.iso_date,
)

# --- Quality thresholds (docs/checks.md) ------------------------------------------------------

RAW_REJECTED_RATIO_MAX = Setting(
    "RAW_REJECTED_RATIO_MAX",
    "0.01",
    "Largest share of a day's lines that may be rejected before raw_events alerts (0.01 = 1%).",
    parsers.share,
)
RAW_VOLUME_MIN_RATIO = Setting(
    "RAW_VOLUME_MIN_RATIO",
    "0.5",
    "A day with fewer rows than this times the trailing 7-day median alerts.",
    parsers.non_negative_number,
)
RAW_VOLUME_MAX_RATIO = Setting(
    "RAW_VOLUME_MAX_RATIO",
    "3.0",
    "A day with more rows than this times the trailing 7-day median alerts.",
    parsers.non_negative_number,
)
DAILY_SUMMARY_DEADLINE_UTC = Setting(
    "DAILY_SUMMARY_DEADLINE_UTC",
    "02:00",
    "Time of day (UTC, HH:MM) by which the previous day's daily_summary must exist.",
    parsers.time_of_day,
)


def check_volume_band(minimum: float, maximum: float) -> None:
    """The volume band must contain something: its minimum below its maximum."""
    if not minimum < maximum:
        raise SettingError(
            f"{RAW_VOLUME_MIN_RATIO.env_var}={minimum:g} is not below "
            f"{RAW_VOLUME_MAX_RATIO.env_var}={maximum:g}: no day's volume could pass the check. "
            "Set the minimum below the maximum (defaults: 0.5 and 3.0)."
        )


# --- Alerts (docs/alerts.md): with none of these set, alerts go to the sensor logs ----------

DAGSTER_UI_URL = Setting(
    "DAGSTER_UI_URL",
    "http://localhost:3000",
    "Base URL (http or https) of the Dagster UI, used in links that alerts point to.",
    parsers.http_url,
    resource="notifier",
)
ALERT_WEBHOOK_URL = Setting(
    "ALERT_WEBHOOK_URL",
    "",
    "Generic JSON webhook (an http or https URL) that receives every alert as one POST "
    "(a secret: never logged).",
    parsers.optional_http_url,
    secret=True,
    resource="notifier",
)
SLACK_BOT_TOKEN = Setting(
    "SLACK_BOT_TOKEN",
    "",
    "Slack bot token (xoxb-...) with chat:write; alerts go to SLACK_CHANNEL when set (a secret).",
    parsers.optional_word,
    secret=True,
    resource="notifier",
)
SLACK_CHANNEL = Setting(
    "SLACK_CHANNEL",
    "#data-alerts",
    "Slack channel the bot posts alerts to (the bot must be a member of it).",
    parsers.word,
    resource="notifier",
)

# --- Landing sensor: retrying a failed load (docs/reliability.md, "Late and changed data") ---
# Owned by the landing sensor (src/event_analytics/automation/load_retries.py reads them).

LANDING_LOAD_MAX_ATTEMPTS = Setting(
    "LANDING_LOAD_MAX_ATTEMPTS",
    "4",
    "How many runs the landing sensor requests for a day folder that has not changed, the first "
    "included, before it gives up on it until the folder changes (1 = never retry).",
    parsers.whole_number(1),
)
LANDING_RETRY_BASE_SECONDS = Setting(
    "LANDING_RETRY_BASE_SECONDS",
    "60",
    "Seconds the landing sensor waits after a day's load failed before it requests the day "
    "again; doubles after each further failure, at most an hour (0 = at the next tick).",
    parsers.non_negative_number,
)


def landing_load_max_attempts() -> int:
    """`LANDING_LOAD_MAX_ATTEMPTS` as a whole number >= 1, or an error naming the variable."""
    return LANDING_LOAD_MAX_ATTEMPTS.value()


def landing_retry_base_seconds() -> float:
    """`LANDING_RETRY_BASE_SECONDS` as a finite number >= 0, or an error naming the variable."""
    return LANDING_RETRY_BASE_SECONDS.value()


# --- The registry -----------------------------------------------------------------------------

SETTINGS: tuple[Setting[Any], ...] = (
    WAREHOUSE_URL,
    DUCKDB_MEMORY_LIMIT,
    DUCKDB_LOCK_TIMEOUT_SECONDS,
    SPARK_WAREHOUSE_DIR,
    SPARK_DRIVER_MEMORY,
    SPARK_CONF,
    PGPASSWORD,
    EVENTS_LANDING_URL,
    EVENTS_START_DATE,
    RAW_REJECTED_RATIO_MAX,
    RAW_VOLUME_MIN_RATIO,
    RAW_VOLUME_MAX_RATIO,
    DAILY_SUMMARY_DEADLINE_UTC,
    DAGSTER_UI_URL,
    ALERT_WEBHOOK_URL,
    SLACK_BOT_TOKEN,
    SLACK_CHANNEL,
    LANDING_LOAD_MAX_ATTEMPTS,
    LANDING_RETRY_BASE_SECONDS,
)
"""Every setting, in the order the README's table lists them."""

RULES: tuple[Rule, ...] = (
    Rule((RAW_VOLUME_MIN_RATIO, RAW_VOLUME_MAX_RATIO), check_volume_band),
    Rule((WAREHOUSE_URL, SPARK_WAREHOUSE_DIR), check_spark_warehouse_dir),
)
"""Conditions on several settings at once."""

CHECKED_AT_LOAD: tuple[Setting[Any], ...] = tuple(s for s in SETTINGS if s.resource is None)
"""The settings no resource takes: checked when the code location loads."""


def setting_problems(
    settings: Iterable[Setting[Any]] = SETTINGS, environ: Mapping[str, str] | None = None
) -> list[str]:
    """One message per setting (or rule among them) that cannot work; empty when all can."""
    problems: list[str] = []
    values: dict[str, Any] = {}
    for setting in settings:
        try:
            values[setting.env_var] = setting.value(environ)
        except SettingError as error:
            problems.append(str(error))
    for rule in RULES:
        names = [setting.env_var for setting in rule.settings]
        if all(name in values for name in names):
            try:
                rule.check(*(values[name] for name in names))
            except SettingError as error:
                problems.append(str(error))
    return problems


def check_settings(
    settings: Iterable[Setting[Any]] = SETTINGS, environ: Mapping[str, str] | None = None
) -> None:
    """Raise one `SettingError` listing every problem of `settings`, or return."""
    problems = setting_problems(settings, environ)
    if problems:
        raise SettingError("\n".join(problems))
