"""`python -m event_analytics.alerts`: send one test alert through the configured channels.

Uses the same settings, channels, retries and redaction as the sensors, so "the test alert
arrived" means the sensors' alerts will too. Exit status 1 when any channel failed.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys

from event_analytics.alerts.delivery import TickDelivery
from event_analytics.alerts.message import Alert
from event_analytics.alerts.notifier import notifier_from_settings
from event_analytics.alerts.state import AlertState


def sample_alert(ui_url: str) -> Alert:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    return Alert(
        status="firing",
        kind="test",
        asset="(test)",
        partition=None,
        check=None,
        summary="Test alert from event_analytics: if you read this, delivery works.",
        details="Sent by `python -m event_analytics.alerts`. Nothing is wrong.",
        url=ui_url,
        occurred_at=now.isoformat(),
        incident=f"test:{now.isoformat()}",
    )


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    log = logging.getLogger("event_analytics.alerts")
    notifier = notifier_from_settings(resolved=True)
    channels = notifier.channels(log)
    state = AlertState()
    TickDelivery(channels, state, log).send(sample_alert(notifier.ui_url))
    failed = {name for entry in state.outbox for name in entry["channels"]}
    for channel in channels:
        print(f"{channel.name}: {'FAILED' if channel.name in failed else 'delivered'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
