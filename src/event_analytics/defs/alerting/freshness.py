"""Pages on assets whose freshness policy turns DEGRADED."""

import dagster as dg

from event_analytics.alerts import Notifier
from event_analytics.alerts.freshness import scan_freshness
from event_analytics.alerts.tick import run_alert_tick


@dg.sensor(
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description=(
        "Alerts once when an asset's freshness turns DEGRADED and once when it is HEALTHY "
        "again. See docs/alerts.md."
    ),
)
def freshness_alert_sensor(
    context: dg.SensorEvaluationContext, notifier: Notifier
) -> dg.SensorResult:
    """Alerts once when an asset's freshness turns DEGRADED, and once when it is HEALTHY again.
    Reads the states Dagster's freshness daemon records; WARNING is not sent."""
    return run_alert_tick(
        context,
        notifier,
        lambda state: scan_freshness(
            context.instance, state, notifier.links, context.repository_def, context.log
        ),
    )
