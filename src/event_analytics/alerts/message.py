"""The alert message: one JSON body for every channel, and its human-readable rendering.

The body is the contract with whatever receives the webhook (documented in docs/alerts.md):
add fields if needed, never rename or remove one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any, Literal
from urllib.parse import quote

import dagster as dg

Status = Literal["firing", "resolved"]
# "test" is only ever sent by `python -m event_analytics.alerts`, to try the channels.
Kind = Literal["run_failure", "check_failure", "freshness", "test"]

# Receivers (Slack, pagers, chat) truncate or reject huge payloads; an error message with a
# full traceback would otherwise push the link out of view.
MAX_SUMMARY_CHARS = 300
MAX_DETAILS_CHARS = 2000


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, marked with an ellipsis when cut."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def iso_utc(timestamp: float) -> str:
    """A Unix timestamp as ISO 8601 in UTC, to the second: `2025-01-02T06:00:00+00:00`."""
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).replace(microsecond=0).isoformat()


def asset_name(key: dg.AssetKey) -> str:
    """How people write an asset key: `daily_summary`, or `marts/orders` for a prefixed key."""
    return key.to_user_string()


def where(asset: str, partition: str | None) -> str:
    """An asset and its partition as a message names them: `daily_summary [2025-01-02]`."""
    return f"{asset} [{partition}]" if partition else asset


@dataclass(frozen=True)
class Links:
    """Links into the Dagster UI, from the UI's base URL (`DAGSTER_UI_URL`)."""

    base_url: str

    def run(self, run_id: str) -> str:
        return f"{self.base_url.rstrip('/')}/runs/{quote(run_id)}"

    def asset(self, key: dg.AssetKey) -> str:
        path = "/".join(quote(part, safe="") for part in key.path)
        return f"{self.base_url.rstrip('/')}/assets/{path}"


@dataclass(frozen=True)
class Alert:
    """One transition of one incident: it started failing (`firing`) or it recovered (`resolved`).

    `incident` is stable across the firing and the resolved message of the same incident, so a
    receiver can pair them (e.g. as a pager's deduplication key).
    """

    status: Status
    kind: Kind
    asset: str
    partition: str | None
    check: str | None
    summary: str
    details: str
    url: str
    occurred_at: str
    incident: str

    def body(self) -> dict[str, Any]:
        """The JSON body posted to the webhook."""
        body = asdict(self)
        body["summary"] = clip(self.summary, MAX_SUMMARY_CHARS)
        body["details"] = clip(self.details, MAX_DETAILS_CHARS)
        return body

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> Alert:
        """The alert back from its body (undelivered alerts wait in the sensor cursor as bodies)."""
        fields: dict[str, Any] = {name: body.get(name) for name in cls.__dataclass_fields__}
        return cls(**fields)

    def text(self) -> str:
        """A readable rendering of the same content, for Slack (mrkdwn) and the logs."""
        firing = self.status == "firing"
        marker = ":red_circle: *FIRING*" if firing else ":white_check_mark: *RESOLVED*"
        subject = self.asset
        if self.partition:
            subject += f" [{self.partition}]"
        if self.check:
            subject += f" check `{self.check}`"
        lines = [
            f"{marker} {self.kind.replace('_', ' ')}: {subject}",
            clip(self.summary, MAX_SUMMARY_CHARS),
        ]
        if self.details:
            lines.append(clip(self.details, MAX_DETAILS_CHARS))
        lines.append(f"<{self.url}|Open in Dagster> · {self.occurred_at}")
        return "\n".join(lines)
