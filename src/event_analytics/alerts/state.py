"""What an alert sensor remembers between ticks, kept in its cursor so it survives restarts.

The cursor is the only state a sensor has that the daemon persists: open incidents live there,
so a restarted daemon neither re-sends a firing alert nor forgets to send the resolved one.
Everything here is bounded, because the cursor is stored (and re-read) on every tick.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

# Far more than a healthy platform ever has open; past it the oldest incident is forgotten
# (logged), which at worst loses one "resolved" message.
MAX_OPEN_INCIDENTS = 200
# Alerts whose delivery failed wait here for the next tick; past this many the oldest is dropped.
MAX_OUTBOX = 100
CURSOR_VERSION = 1


@dataclass
class AlertState:
    """A sensor's memory: how far it has read, which incidents are open, what is undelivered.

    - `after`: the last event-log storage id already read (None until the first tick).
    - `open`: incident id -> what the resolved message needs, oldest first.
    - `outbox`: alerts not yet delivered, as `{"alert": body, "channels": [names]}`.
    """

    after: int | None = None
    open: dict[str, dict[str, Any]] = field(default_factory=dict)
    outbox: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def load(cls, cursor: str | None) -> AlertState:
        """The state stored in a cursor; a missing or foreign cursor starts afresh."""
        if not cursor:
            return cls()
        try:
            data = json.loads(cursor)
        except ValueError:
            return cls()
        if not isinstance(data, dict) or data.get("v") != CURSOR_VERSION:
            return cls()
        return cls(
            after=data.get("after"),
            open=dict(data.get("open") or {}),
            outbox=list(data.get("outbox") or []),
        )

    def dump(self) -> str:
        """The cursor text. Key order is kept, never sorted: `open` is oldest first, and that
        order is what eviction relies on after the next `load`."""
        return json.dumps(
            {"v": CURSOR_VERSION, "after": self.after, "open": self.open, "outbox": self.outbox},
            separators=(",", ":"),
        )

    def open_incident(
        self,
        incident: str,
        data: dict[str, Any],
        log: logging.Logger | logging.LoggerAdapter[Any] | None = None,
    ) -> list[str]:
        """Record an open incident; returns (and logs) the oldest ones evicted to stay bounded."""
        self.open[incident] = data
        evicted: list[str] = []
        while len(self.open) > MAX_OPEN_INCIDENTS:
            oldest = next(iter(self.open))
            del self.open[oldest]
            evicted.append(oldest)
            if log is not None:
                log.warning(f"Too many open incidents; forgot the oldest: {oldest}")
        return evicted

    def close_incident(self, incident: str) -> dict[str, Any] | None:
        return self.open.pop(incident, None)

    def queue(self, body: dict[str, Any], channels: list[str]) -> dict[str, Any] | None:
        """Keep an undelivered alert for the next tick; returns the one dropped to stay bounded."""
        self.outbox.append({"alert": body, "channels": channels})
        if len(self.outbox) > MAX_OUTBOX:
            return self.outbox.pop(0)
        return None
