"""The dbt CLI the marts run with, pointed at the project in `dbt_project/`."""

import dagster as dg
from dagster_dbt import DbtCliResource

from event_analytics.dbt.project import DBT_EXECUTABLE, marts_project


@dg.definitions
def dbt_resources() -> dg.Definitions:
    """Bind `dbt` to the marts' project (profiles.yml beside it)."""
    return dg.Definitions(
        resources={"dbt": DbtCliResource(project_dir=marts_project, dbt_executable=DBT_EXECUTABLE)}
    )
