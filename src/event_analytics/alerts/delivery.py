"""Delivering one tick's alerts: every channel gets its chance, nothing is silently dropped.

A channel that fails (after its own retries) is skipped for the rest of the tick, so a dead
webhook costs one timeout per tick, not one per alert, and the sensor stays within its
deadline. What it missed waits in the cursor's outbox and is retried on the next tick, for
that channel only (no duplicate on the channels that already have it).
"""

from __future__ import annotations

import logging
from typing import Any

from event_analytics.alerts.channels import Channel, DeliveryError
from event_analytics.alerts.message import Alert
from event_analytics.alerts.state import AlertState

Log = logging.Logger | logging.LoggerAdapter[Any]


class TickDelivery:
    """Sends alerts for one sensor tick and records what could not be sent in `state.outbox`."""

    def __init__(self, channels: list[Channel], state: AlertState, log: Log) -> None:
        self.channels = {channel.name: channel for channel in channels}
        self.state = state
        self.log = log
        self.down: set[str] = set()
        self.delivered = 0

    def retry_outbox(self) -> None:
        """Re-send what earlier ticks could not deliver, before this tick's new alerts."""
        waiting, self.state.outbox = self.state.outbox, []
        for entry in waiting:
            # A channel removed from the configuration since is no longer owed the alert.
            names = [n for n in entry.get("channels", []) if n in self.channels]
            if names:
                self._send(Alert.from_body(entry["alert"]), names)
            else:
                self.log.warning(
                    f"Dropped an undelivered alert ({entry['alert'].get('incident')}): its "
                    "channel is no longer configured."
                )

    def send(self, alert: Alert) -> None:
        self.log.info(
            f"Alert {alert.status}: {alert.kind} {alert.asset}"
            f"{f' [{alert.partition}]' if alert.partition else ''}"
            f"{f' check {alert.check}' if alert.check else ''}: {alert.summary}"
        )
        self._send(alert, list(self.channels))

    def _send(self, alert: Alert, names: list[str]) -> None:
        failed: list[str] = []
        for name in names:
            if name in self.down:
                failed.append(name)
                continue
            try:
                self.channels[name].deliver(alert)
                self.delivered += 1
            except DeliveryError as error:
                self.down.add(name)
                failed.append(name)
                self.log.error(f"Alert delivery failed ({name}), retried next tick: {error}")
            except Exception as error:
                # A bug in a channel must not cost the other channels or the other alerts.
                self.down.add(name)
                failed.append(name)
                self.log.error(
                    f"Alert delivery failed ({name}) unexpectedly, retried next tick: "
                    f"{type(error).__name__}"
                )
        if failed:
            dropped = self.state.queue(alert.body(), failed)
            if dropped is not None:
                self.log.error(
                    "Alert outbox full: dropped the oldest undelivered alert "
                    f"({dropped['alert'].get('incident')}, {dropped['alert'].get('status')})."
                )
