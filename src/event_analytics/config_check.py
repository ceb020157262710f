"""Validate every setting up front, so a misconfiguration is one clear message, not a traceback.

`event-analytics check-config` (and a deployment's health check) asks without running anything:
every setting in the registry goes through its parser (the one the resources and the code
location use), the rules between settings are checked, and then the places and servers the
settings name, with the checks the resources run when they start: the warehouse (a DuckDB
file's folder, or a login to the PostgreSQL server, whose target dbt's marts follow too) and
the landing zone's root.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from event_analytics.locations import check_landing_root, check_warehouse
from event_analytics.settings import (
    EVENTS_LANDING_URL,
    PGPASSWORD,
    SETTINGS,
    WAREHOUSE_URL,
    Setting,
    setting_problems,
)


def _warehouse(environ: Mapping[str, str] | None) -> None:
    check_warehouse(WAREHOUSE_URL.value(environ), environ)


def _landing_root(environ: Mapping[str, str] | None) -> None:
    check_landing_root(EVENTS_LANDING_URL.value(environ))


_Check = Callable[[Mapping[str, str] | None], None]

# Each check, with the settings it needs: it runs only when all of them parse.
_PLACES: tuple[tuple[tuple[Setting[Any], ...], _Check], ...] = (
    ((WAREHOUSE_URL, PGPASSWORD), _warehouse),
    ((EVENTS_LANDING_URL,), _landing_root),
)


def configuration_problems(environ: Mapping[str, str] | None = None) -> list[str]:
    """One message per setting that cannot work as configured; empty when all is well."""
    problems = setting_problems(SETTINGS, environ)
    for needed, check in _PLACES:
        if setting_problems(needed, environ):
            continue  # already reported: the place cannot be checked without its setting
        try:
            check(environ)
        except ValueError as error:
            problems.append(str(error))
    return problems
