"""The dbt CLI the marts run with, pointed at the project in `dbt_project/`."""

import dagster as dg

from event_analytics.dbt.project import DBT_EXECUTABLE, marts_project
from event_analytics.dbt.target import MartsDbtResource


@dg.definitions
def dbt_resources() -> dg.Definitions:
    """Bind `dbt` to the marts' project (profiles.yml beside it); WAREHOUSE_URL picks where."""
    return dg.Definitions(
        resources={
            "dbt": MartsDbtResource(project_dir=marts_project, dbt_executable=DBT_EXECUTABLE)
        }
    )
