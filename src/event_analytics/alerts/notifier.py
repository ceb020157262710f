"""`Notifier`: the resource that knows where alerts go, configured from the environment."""

from __future__ import annotations

import logging
from typing import Any, cast

import dagster as dg
from dagster_slack import SlackResource
from pydantic import Field

from event_analytics.alerts.channels import (
    Channel,
    LogChannel,
    SlackChannel,
    SlackClient,
    WebhookChannel,
)
from event_analytics.alerts.message import Links
from event_analytics.alerts.redact import Redactor
from event_analytics.settings import (
    ALERT_WEBHOOK_URL,
    DAGSTER_UI_URL,
    SLACK_BOT_TOKEN,
    SLACK_CHANNEL,
    Setting,
)


class Notifier(dg.ConfigurableResource):
    """Sends alerts to every configured channel: a JSON webhook, Slack, or (neither) the log.

    Channels are independent: Slack is posted even when the webhook is down. The webhook URL
    and the Slack token are secrets and are never logged (see `alerts.redact`).
    """

    webhook_url: str = Field(
        default="", description="JSON webhook receiving each alert as a POST (ALERT_WEBHOOK_URL)."
    )
    slack_bot_token: str = Field(default="", description="Slack bot token (SLACK_BOT_TOKEN).")
    slack_channel: str = Field(
        default="#data-alerts", description="Channel the Slack bot posts to (SLACK_CHANNEL)."
    )
    ui_url: str = Field(
        default="http://localhost:3000", description="Dagster UI base URL for links."
    )
    timeout_seconds: float = Field(default=5.0, description="Per-request webhook timeout.")
    max_attempts: int = Field(
        default=3, description="Webhook attempts on connection errors and 5xx (not on 4xx)."
    )
    backoff_seconds: float = Field(
        default=0.5, description="First retry delay; doubles per attempt, with jitter."
    )

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """Refuse to start (before a sensor tick does anything) with a setting that cannot work:
        each field goes through its setting's parser, which never echoes a secret."""
        ALERT_WEBHOOK_URL.parse(self.webhook_url)
        SLACK_BOT_TOKEN.parse(self.slack_bot_token)
        SLACK_CHANNEL.parse(self.slack_channel)
        DAGSTER_UI_URL.parse(self.ui_url)

    @property
    def links(self) -> Links:
        return Links(self.ui_url)

    @property
    def redactor(self) -> Redactor:
        return Redactor.for_settings(self.webhook_url, [self.slack_bot_token])

    def slack_client(self) -> SlackClient:
        """The Slack client, through dagster-slack. Tests override this with a fake."""
        client = SlackResource(token=self.slack_bot_token).get_client()
        client.timeout = int(max(self.timeout_seconds, 1))
        return cast(SlackClient, client)

    def channels(self, log: logging.Logger | logging.LoggerAdapter[Any]) -> list[Channel]:
        """The configured channels, or the log alone when none is configured."""
        channels: list[Channel] = []
        if self.webhook_url:
            channels.append(
                WebhookChannel(
                    url=self.webhook_url,
                    redactor=self.redactor,
                    timeout_seconds=self.timeout_seconds,
                    max_attempts=max(self.max_attempts, 1),
                    backoff_seconds=self.backoff_seconds,
                )
            )
        if self.slack_bot_token:
            channels.append(SlackChannel(self.slack_client(), self.slack_channel, self.redactor))
        return channels or [LogChannel(log)]


def notifier_from_settings(resolved: bool = False) -> Notifier:
    """The notifier the environment configures; log-only when nothing is set.

    For Definitions (`resolved=False`) set variables are passed as `EnvVar`s, so the UI shows
    the variable's name, never a secret. Code that uses the notifier outside Dagster (the test
    alert command) needs the values themselves (`resolved=True`).
    """

    def pick(setting: Setting[str]) -> Any:
        return setting.value() if resolved else setting.for_resource()

    return Notifier(
        webhook_url=pick(ALERT_WEBHOOK_URL),
        slack_bot_token=pick(SLACK_BOT_TOKEN),
        slack_channel=pick(SLACK_CHANNEL),
        ui_url=pick(DAGSTER_UI_URL),
    )
