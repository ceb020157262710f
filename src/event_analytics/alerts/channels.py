"""Where an alert can go: a JSON webhook, a Slack channel, or the sensor's log.

Each channel either delivers or raises `DeliveryError` with a message that is safe to log:
no channel lets a secret (webhook URL, token) reach a log line or an exception.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import requests

from event_analytics.alerts.message import Alert
from event_analytics.alerts.redact import Redactor, safe_url

# A retry never waits longer than this, whatever the attempt number: sensors have a deadline.
MAX_BACKOFF_SECONDS = 8.0


class DeliveryError(Exception):
    """An alert could not be delivered on one channel. The message is already redacted."""


class Channel(Protocol):
    name: str

    def deliver(self, alert: Alert) -> None:
        """Deliver the alert or raise `DeliveryError`."""
        ...


class SlackClient(Protocol):
    """The part of `slack_sdk.WebClient` the Slack channel uses (tests pass a fake)."""

    def chat_postMessage(self, **kwargs: Any) -> Any: ...


def backoff_delay(attempt: int, base_seconds: float) -> float:
    """Seconds to wait after failed attempt number `attempt` (1-based): exponential, jittered.

    Full jitter between half and one-and-a-half times the exponential step, so many sensors
    retrying against the same receiver do not hit it in lockstep.
    """
    step = min(base_seconds * 2 ** (attempt - 1), MAX_BACKOFF_SECONDS)
    return step * random.uniform(0.5, 1.5)  # jitter, not cryptography


class _Retryable(Exception):
    """A failed attempt worth repeating (connection error, timeout, 5xx)."""


@dataclass
class WebhookChannel:
    """POSTs the alert's JSON body to a URL; retries connection errors and 5xx, never 4xx.

    A 4xx means the receiver rejected this body (bad token, bad URL, bad payload): repeating
    the same request cannot succeed, so it fails at once and is logged.
    """

    url: str
    redactor: Redactor
    timeout_seconds: float = 5.0
    max_attempts: int = 3
    backoff_seconds: float = 0.5
    sleep: Callable[[float], None] = time.sleep
    name: str = "webhook"

    def deliver(self, alert: Alert) -> None:
        payload = json.dumps(alert.body()).encode()
        for attempt in range(1, self.max_attempts + 1):
            try:
                self._post(payload)
                return
            except _Retryable as retryable:
                if attempt == self.max_attempts:
                    raise DeliveryError(
                        f"webhook {safe_url(self.url)} failed after {attempt} attempts: "
                        f"{self.redactor.clean(str(retryable))}"
                    ) from None
                self.sleep(backoff_delay(attempt, self.backoff_seconds))

    def _post(self, payload: bytes) -> None:
        try:
            response = requests.post(
                self.url,
                data=payload,
                headers={"Content-Type": "application/json"},
                timeout=self.timeout_seconds,
            )
        except (requests.ConnectionError, requests.Timeout) as error:
            # `from None`: the original exception's text contains the full URL.
            raise _Retryable(f"{type(error).__name__}: {error}") from None
        except requests.RequestException as error:
            raise DeliveryError(
                f"webhook {safe_url(self.url)}: {self.redactor.clean(str(error))}"
            ) from None
        if response.status_code >= 500:
            raise _Retryable(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            raise DeliveryError(
                f"webhook {safe_url(self.url)} rejected the alert: HTTP {response.status_code} "
                f"{self.redactor.clean(response.text[:200])}"
            )


@dataclass
class SlackChannel:
    """Posts the alert's text rendering to a Slack channel through a `slack_sdk` client."""

    client: SlackClient
    channel: str
    redactor: Redactor
    name: str = "slack"

    def deliver(self, alert: Alert) -> None:
        try:
            self.client.chat_postMessage(
                channel=self.channel, text=alert.text(), unfurl_links=False, unfurl_media=False
            )
        except Exception as error:
            # SlackApiError, connection errors... all become one redacted, loggable line.
            raise DeliveryError(
                f"slack {self.channel}: {type(error).__name__}: {self.redactor.clean(str(error))}"
            ) from None


@dataclass
class LogChannel:
    """Writes the alert to the sensor's log: the default when no channel is configured."""

    log: logging.Logger | logging.LoggerAdapter[Any]
    name: str = "log"

    def deliver(self, alert: Alert) -> None:
        level = logging.WARNING if alert.status == "firing" else logging.INFO
        self.log.log(level, "Alert (log only, no channel configured):\n%s", alert.text())
