"""Which server dbt writes the marts to, checked before any step starts.

`dbt_project/profiles.yml` has two targets. `duckdb` writes the warehouse file the rest of the
platform uses. `postgres` writes a PostgreSQL server named by libpq's variables. An unknown
target, or a server that cannot be reached or refuses the login, is one message naming the
variables to fix, when the dbt resource starts: not a dbt traceback halfway through a run.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
import psycopg
from dagster_dbt import DbtCliResource, DbtProject

from event_analytics.settings import DBT_TARGET

TARGETS = ("duckdb", "postgres")
PG_VARIABLES = "PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE"
# What profiles.yml falls back to when a libpq variable is unset.
PG_DEFAULTS = {
    "PGHOST": "localhost",
    "PGPORT": "5432",
    "PGUSER": "event_analytics",
    "PGPASSWORD": "",
    "PGDATABASE": "event_analytics",
}


class DbtTargetConfigError(ValueError):
    """`DBT_TARGET` or the server it names cannot be used; the message says which and how."""


def dbt_target(environ: Mapping[str, str] | None = None) -> str:
    """The configured target; raises `DbtTargetConfigError` for one profiles.yml lacks."""
    env = os.environ if environ is None else environ
    target = env.get(DBT_TARGET.env_var) or DBT_TARGET.default
    if target not in TARGETS:
        raise DbtTargetConfigError(
            f"{DBT_TARGET.env_var} is {target!r}, which dbt_project/profiles.yml does not "
            f"define: set it to duckdb (the warehouse file) or postgres ({PG_VARIABLES})."
        )
    return target


def check_dbt_target(environ: Mapping[str, str] | None = None, timeout_seconds: int = 10) -> str:
    """Return the target after making sure dbt can use it: for `postgres`, log in once."""
    env = os.environ if environ is None else environ
    target = dbt_target(env)
    if target == "postgres":
        settings = {name: env.get(name) or default for name, default in PG_DEFAULTS.items()}
        try:
            psycopg.connect(
                host=settings["PGHOST"],
                port=settings["PGPORT"],
                user=settings["PGUSER"],
                password=settings["PGPASSWORD"],
                dbname=settings["PGDATABASE"],
                connect_timeout=timeout_seconds,
            ).close()
        except psycopg.Error as error:
            reason = " ".join(str(error).split())
            if settings["PGPASSWORD"]:
                reason = reason.replace(settings["PGPASSWORD"], "***")
            if not reason.endswith((".", "?", "!")):
                reason += "."
            raise DbtTargetConfigError(
                f"{DBT_TARGET.env_var}=postgres, but PostgreSQL at "
                f"{settings['PGHOST']}:{settings['PGPORT']} (database {settings['PGDATABASE']}, "
                f"user {settings['PGUSER']}) cannot be used: {reason} Start the server or "
                f"point {PG_VARIABLES} at one that runs and accepts this login."
            ) from None
    return target


class MartsDbtResource(DbtCliResource):
    """dbt for the marts: checks its target (`DBT_TARGET`) before any step does work."""

    # Spelled out so type checkers see DbtCliResource's own signature, DbtProject included.
    def __init__(self, project_dir: str | Path | DbtProject, **kwargs: Any) -> None:
        super().__init__(project_dir=project_dir, **kwargs)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        check_dbt_target()
        super().setup_for_execution(context)
