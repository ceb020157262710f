"""Which dbt target writes the marts: the warehouse's own, so there is one setting.

`dbt_project/profiles.yml` has a target per warehouse backend: `duckdb` writes the DuckDB file
`WAREHOUSE_URL` names, `postgres` the PostgreSQL database it names, `spark` a local Spark session
(dbt-spark's `session` method) over the warehouse folder it names. The platform picks the
target from the parsed URL (`dbt_target`) and hands it, with where to log in, to dbt's
subprocess (`dbt.environment`). Whether the warehouse can be reached is checked once, when the
`warehouse` resource starts (the marts' assets require it): an unreachable server or a refused
login fails before any step, with one message naming `WAREHOUSE_URL`.
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
#: Targets whose adapter cannot build the marts as the models are written (docs/spark.md,
#: "The marts"): dbt-spark refuses the models' `window_replace` incremental strategy (it takes
#: only append, merge, insert_overwrite and microbatch), and every other mart builds on
#: `user_activity_daily`, which uses it.
MARTS_UNSUPPORTED = {
    "spark": (
        "The marts do not run on Spark yet: dbt-spark refuses the models' incremental strategy "
        "`window_replace` (Parquet tables have no DELETE), and every mart builds on "
        'user_activity_daily, which uses it. docs/spark.md ("The marts") says what each model '
        "needs; the platform's own tables and checks run on Spark."
    )
}


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
        """`dbt ARGS`, unless the warehouse's target cannot build the marts: then one message
        saying why, before dbt starts (rather than a dbt error per model)."""
        reason = MARTS_UNSUPPORTED.get(os.environ.get(TARGET_ENV, ""))
        if reason is not None and "parse" not in args:
            raise dg.Failure(description=reason)
        return super().cli(args, **kwargs)
