"""The automation sensor that evaluates every asset's automation condition, RUNNING by default.

Dagster's built-in default sensor starts STOPPED; declaring our own makes `dagster dev` and a
fresh deployment follow upstream changes without anyone flipping a switch in the UI.
"""

import dagster as dg

follow_upstream_sensor = dg.AutomationConditionSensorDefinition(
    "follow_upstream_sensor",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Materializes downstream partitions whenever their upstream partitions change.",
)
