"""Which dbt target writes the marts: the warehouse's own, so there is one setting.

`dbt_project/profiles.yml` has a target per warehouse backend: `duckdb` writes the DuckDB file
`WAREHOUSE_URL` names, `postgres` the PostgreSQL database it names, `spark` a Spark session in
dbt's own process (dbt-spark's `session` method) with the platform's Spark settings. The
platform picks the target from the parsed URL (`dbt_target`) and hands it, with where to log
in, to dbt's subprocess (`dbt.environment`); a warehouse the marts cannot run on (Spark
Connect) is refused before dbt starts (`REFUSED_ENV`). Whether the warehouse can be reached
is checked once, when the `warehouse` resource starts (the marts' assets require it): an
unreachable server or a refused login fails before any step, with one message naming
`WAREHOUSE_URL`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject

from event_analytics.setting_parsers import WarehouseTarget

#: The variable profiles.yml reads its target from (set by the platform, never by hand).
TARGET_ENV = "EVENT_ANALYTICS_DBT_TARGET"
#: The warehouse backends profiles.yml has a target for, by the target's name.
TARGETS = ("duckdb", "postgres", "spark")
#: Set by the platform (`dbt.environment`), for dbt's process only, to why the warehouse
#: cannot build the marts: the runs then fail at once with that message, before dbt starts.
REFUSED_ENV = "EVENT_ANALYTICS_DBT_REFUSED"
#: Why the marts do not run on a Spark Connect warehouse (docs/spark.md, "The marts").
SPARK_CONNECT_REFUSAL = (
    "The marts do not run on Spark Connect: dbt-spark's session method starts a Spark session "
    "of its own, and the platform does not hand it a Connect URL. Point dbt-spark's thrift "
    "method at the cluster's Thrift server, or build the marts on a spark:// master or a local "
    'warehouse folder (docs/spark.md, "The marts").'
)


def dbt_target(target: WarehouseTarget) -> str:
    """The profile's target for the warehouse `target` (the same name as its backend)."""
    if target.backend not in TARGETS:
        raise ValueError(f"dbt_project/profiles.yml has no target for {target.backend!r}")
    return target.backend


class MartsDbtResource(DbtCliResource):
    """dbt for the marts, on the warehouse's target (`dbt.environment`)."""

    # Spelled out so type checkers see DbtCliResource's own signature, DbtProject included.
    def __init__(self, project_dir: str | Path | DbtProject, **kwargs: Any) -> None:
        super().__init__(project_dir=project_dir, **kwargs)

    def cli(self, args: Sequence[str], **kwargs: Any) -> Any:
        """`dbt ARGS`, unless the warehouse cannot build the marts: then one message saying
        why, before dbt starts (rather than a dbt error per model)."""
        reason = os.environ.get(REFUSED_ENV)
        if reason and "parse" not in args:
            raise dg.Failure(description=reason)
        return super().cli(args, **kwargs)
