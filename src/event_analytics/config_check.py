"""Validate every setting up front, so a misconfiguration is one clear message, not a traceback.

`event-analytics check-config` (and a deployment's health check) asks without running anything:
every setting in the registry goes through its parser (the one the resources and the code
location use), the rules between settings are checked, and then the places and servers the
settings name: the warehouse file's folder, the landing zone's root, and for the dbt `postgres`
target a login to the server.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from event_analytics.locations import check_landing_root, check_warehouse_file
from event_analytics.settings import (
    DBT_TARGET,
    EVENTS_LANDING_URL,
    PGDATABASE,
    PGHOST,
    PGPASSWORD,
    PGPORT,
    PGUSER,
    SETTINGS,
    WAREHOUSE_URL,
    Setting,
    setting_problems,
)


def _warehouse_file(environ: Mapping[str, str] | None) -> None:
    check_warehouse_file(WAREHOUSE_URL.value(environ).path)


def _landing_root(environ: Mapping[str, str] | None) -> None:
    check_landing_root(EVENTS_LANDING_URL.value(environ))


def _dbt_server(environ: Mapping[str, str] | None) -> None:
    if DBT_TARGET.value(environ) != "postgres":
        return
    # Imported only for this target: it loads dagster-dbt, which takes seconds.
    from event_analytics.dbt.target import check_dbt_target

    check_dbt_target(environ)


_Check = Callable[[Mapping[str, str] | None], None]

# Each check, with the settings it needs: it runs only when all of them parse.
_PLACES: tuple[tuple[tuple[Setting[Any], ...], _Check], ...] = (
    ((WAREHOUSE_URL,), _warehouse_file),
    ((EVENTS_LANDING_URL,), _landing_root),
    ((DBT_TARGET, PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE), _dbt_server),
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
