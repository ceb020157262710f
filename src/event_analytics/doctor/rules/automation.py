"""`automation-sensor-stopped`: automation conditions that nothing evaluates by default.

An asset's automation condition is evaluated by an automation condition sensor. When the only
sensors covering an asset start STOPPED (one declared with that status, or the
`default_automation_condition_sensor` Dagster adds for assets no declared sensor covers, which
always starts stopped), the condition never fires on a fresh deployment until someone starts
the sensor in the UI. One finding per such sensor, naming the assets it strands.
"""

from __future__ import annotations

from collections.abc import Iterator

import dagster as dg

from event_analytics.doctor import dagster_internals as internals
from event_analytics.doctor.findings import Finding
from event_analytics.doctor.rules.context import Location
from event_analytics.doctor.sources import defined_at

FIX = (
    'declare your own: dg.AutomationConditionSensorDefinition("automation", '
    "target=dg.AssetSelection.all(), default_status=dg.DefaultSensorStatus.RUNNING) "
    "in the Definitions' sensors=[...]"
)


def automation_sensor_stopped(location: Location) -> Iterator[Finding]:
    graph = location.repository.asset_graph
    automated = {node.key for node in location.nodes if node.automation_condition is not None}
    sensors = [
        sensor
        for sensor in location.repository.sensor_defs
        if isinstance(sensor, dg.AutomationConditionSensorDefinition)
    ]
    covered = {
        sensor.name: set(sensor.asset_selection.resolve(graph)) & automated
        for sensor in sensors
        if sensor.asset_selection is not None
    }
    starts_running = [s for s in sensors if s.default_status is dg.DefaultSensorStatus.RUNNING]
    running = set().union(*(covered.get(s.name, set()) for s in starts_running))
    for sensor in sensors:
        stranded = covered.get(sensor.name, set()) - running
        if sensor in starts_running or not stranded:
            continue
        default = sensor.name == internals.DEFAULT_AUTOMATION_SENSOR
        names = ", ".join(key.to_user_string() for key in sorted(stranded))
        yield location.finding(
            "automation-sensor-stopped",
            f"sensor:{sensor.name}",
            location.loaded.defined_at if default else defined_at(sensor),
            f"automation sensor '{sensor.name}' starts STOPPED"
            + (" (Dagster adds it for assets no declared sensor covers)" if default else "")
            + f" and is the only one evaluating {names}: their automation conditions never "
            "fire until someone starts it in the UI",
            FIX,
        )
