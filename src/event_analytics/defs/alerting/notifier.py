"""The `notifier` resource the alert sensors use, bound to the alert settings.

Its own `@dg.definitions` (merged with `defs/resources.py` by the defs-folder loader), so the
alerting folder is self-contained.
"""

import dagster as dg

from event_analytics.alerts.notifier import notifier_from_settings


@dg.definitions
def alerting_resources() -> dg.Definitions:
    """Bind `notifier` to ALERT_WEBHOOK_URL, SLACK_BOT_TOKEN, SLACK_CHANNEL and DAGSTER_UI_URL."""
    return dg.Definitions(resources={"notifier": notifier_from_settings()})
