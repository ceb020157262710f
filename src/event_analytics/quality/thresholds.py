"""The thresholds of the quality checks, read through their settings (`event_analytics.settings`).

The settings themselves live with every other setting; this module gives the checks their
values. A bad value is refused when the code location loads, so these only fail when a value
changed under a running process.
"""

from __future__ import annotations

import datetime as dt

from event_analytics.settings import (
    DAILY_SUMMARY_DEADLINE_UTC,
    RAW_REJECTED_RATIO_MAX,
    RAW_VOLUME_MAX_RATIO,
    RAW_VOLUME_MIN_RATIO,
    Setting,
    check_volume_band,
)

__all__ = [
    "DAILY_SUMMARY_DEADLINE_UTC",
    "RAW_REJECTED_RATIO_MAX",
    "RAW_VOLUME_MAX_RATIO",
    "RAW_VOLUME_MIN_RATIO",
    "deadline_time",
    "ratio",
    "volume_band",
]


def ratio(setting: Setting[float]) -> float:
    """A ratio threshold's value; raises `SettingError` naming the variable."""
    return setting.value()


def volume_band() -> tuple[float, float]:
    """`(RAW_VOLUME_MIN_RATIO, RAW_VOLUME_MAX_RATIO)`, the minimum below the maximum."""
    band = ratio(RAW_VOLUME_MIN_RATIO), ratio(RAW_VOLUME_MAX_RATIO)
    check_volume_band(*band)
    return band


def deadline_time() -> dt.time:
    """The configured deadline as a time of day in UTC."""
    return DAILY_SUMMARY_DEADLINE_UTC.value()
