"""The thresholds of the quality checks, each an environment variable with a default."""

from __future__ import annotations

import datetime as dt

from event_analytics.settings import Setting

RAW_REJECTED_RATIO_MAX = Setting(
    "RAW_REJECTED_RATIO_MAX",
    "0.01",
    "Largest share of a day's lines that may be rejected before raw_events alerts (0.01 = 1%).",
)
RAW_VOLUME_MIN_RATIO = Setting(
    "RAW_VOLUME_MIN_RATIO",
    "0.5",
    "A day with fewer rows than this times the trailing 7-day median alerts.",
)
RAW_VOLUME_MAX_RATIO = Setting(
    "RAW_VOLUME_MAX_RATIO",
    "3.0",
    "A day with more rows than this times the trailing 7-day median alerts.",
)
DAILY_SUMMARY_DEADLINE_UTC = Setting(
    "DAILY_SUMMARY_DEADLINE_UTC",
    "02:00",
    "Time of day (UTC, HH:MM) by which the previous day's daily_summary must exist.",
)

QUALITY_SETTINGS = (
    RAW_REJECTED_RATIO_MAX,
    RAW_VOLUME_MIN_RATIO,
    RAW_VOLUME_MAX_RATIO,
    DAILY_SUMMARY_DEADLINE_UTC,
)


def ratio(setting: Setting) -> float:
    """A non-negative number from a setting, or an error naming the setting."""
    raw = setting.value()
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0:  # also rejects NaN
        raise ValueError(f"{setting.env_var}={raw!r} must be a non-negative number.")
    return value


def deadline_time() -> dt.time:
    """The configured deadline as a time of day in UTC."""
    raw = DAILY_SUMMARY_DEADLINE_UTC.value()
    try:
        return dt.time.fromisoformat(raw)
    except ValueError as error:
        raise ValueError(
            f"{DAILY_SUMMARY_DEADLINE_UTC.env_var}={raw!r} must be a time of day like 02:00."
        ) from error
