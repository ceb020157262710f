"""Pages on runs that fail to materialize platform assets."""

import dagster as dg

from event_analytics.alerts import Notifier
from event_analytics.alerts.run_failures import scan_run_failures
from event_analytics.alerts.scope import AlertScope
from event_analytics.alerts.tick import run_alert_tick


@dg.sensor(
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description=(
        "Alerts once when a run fails leaving this project's asset partitions "
        "unmaterialized, and once when all are materialized again. See docs/alerts.md."
    ),
)
def run_failure_alert_sensor(
    context: dg.SensorEvaluationContext, notifier: Notifier
) -> dg.SensorResult:
    """Alerts once when a run fails leaving platform asset partitions unmaterialized, and once
    when all of them have been materialized again by later runs."""
    scope = AlertScope.of(context.repository_def)
    return run_alert_tick(
        context,
        notifier,
        lambda state: scan_run_failures(
            context.instance, state, notifier.links, scope, context.log
        ),
    )
