"""Pages on failed ERROR-severity asset checks (the partition deadline check included)."""

import dagster as dg

from event_analytics.alerts import Notifier
from event_analytics.alerts.check_failures import scan_check_evaluations
from event_analytics.alerts.scope import AlertScope
from event_analytics.alerts.tick import run_alert_tick


@dg.sensor(
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description=(
        "Alerts once when an ERROR-severity asset check fails for an (asset, check, day) and "
        "once when it passes again for that day, in any run; WARN failures are only logged. "
        "See docs/alerts.md."
    ),
)
def check_failure_alert_sensor(
    context: dg.SensorEvaluationContext, notifier: Notifier
) -> dg.SensorResult:
    """Alerts once when an ERROR-severity check fails for an (asset, check, day), and once when
    that check passes again for that day. WARN-severity failures are logged here, not sent."""
    scope = AlertScope.of(context.repository_def)
    return run_alert_tick(
        context,
        notifier,
        lambda state: scan_check_evaluations(
            context.instance, state, notifier.links, scope, context.log
        ),
    )
