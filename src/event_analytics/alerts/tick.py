"""One tick of an alert sensor: read the transitions, deliver them, remember everything."""

from __future__ import annotations

from collections.abc import Callable

import dagster as dg

from event_analytics.alerts.delivery import TickDelivery
from event_analytics.alerts.message import Alert
from event_analytics.alerts.notifier import Notifier
from event_analytics.alerts.state import AlertState


def run_alert_tick(
    context: dg.SensorEvaluationContext,
    notifier: Notifier,
    scan: Callable[[AlertState], list[Alert]],
) -> dg.SensorResult:
    """Scan for transitions, then deliver the outbox and the new alerts; return the new cursor.

    The scan runs first: if reading the event log fails, the tick fails visibly with nothing
    sent and the cursor unchanged, so the next tick reads the same events again.
    """
    state = AlertState.load(context.cursor)
    alerts = scan(state)
    delivery = TickDelivery(notifier.channels(context.log), state, context.log)
    delivery.retry_outbox()
    for alert in alerts:
        delivery.send(alert)
    skip_reason = None if alerts else "No alert transitions since the last tick."
    return dg.SensorResult(cursor=state.dump(), skip_reason=skip_reason)
