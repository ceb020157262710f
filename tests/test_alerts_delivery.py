"""Alert channels against real receivers: an HTTP server on 127.0.0.1, a Slack client fake
behind slack_sdk's interface, and the log. Also: retries, redaction, the outbox."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import dagster as dg
import pytest

from event_analytics.alerts import Alert, AlertState, Notifier
from event_analytics.alerts.__main__ import main as alerts_command
from event_analytics.alerts.channels import (
    DeliveryError,
    LogChannel,
    SlackChannel,
    SlackClient,
    WebhookChannel,
    backoff_delay,
)
from event_analytics.alerts.delivery import TickDelivery
from event_analytics.alerts.notifier import notifier_from_settings
from event_analytics.alerts.redact import Redactor, safe_url
from event_analytics.alerts.state import MAX_OPEN_INCIDENTS, MAX_OUTBOX

SECRET_PATH = "/hooks/T000/B000/s3cr3t-webhook-token"
SLACK_TOKEN = "xoxb-1234-5678-s3cr3tslacktoken"
SECRETS = ("s3cr3t-webhook-token", "s3cr3tslacktoken")


class WebhookReceiver:
    """A real HTTP server on 127.0.0.1 that records every POST and answers scripted statuses."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statuses: list[int] = []  # answered in order; 200 once exhausted
        self.default_status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                receiver.requests.append(
                    {
                        "path": self.path,
                        "content_type": self.headers.get("Content-Type"),
                        "body": json.loads(raw),
                    }
                )
                status = receiver.statuses.pop(0) if receiver.statuses else receiver.default_status
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if status < 400 else b"nope")

            def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str = SECRET_PATH) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}{path}"

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [r["body"] for r in self.requests]

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as server:
        yield server


class FakeSlackClient:
    """Records `chat_postMessage` calls; optionally fails like the Slack API does."""

    def __init__(self, error: Exception | None = None) -> None:
        self.posts: list[dict[str, Any]] = []
        self.error = error

    def chat_postMessage(self, **kwargs: Any) -> dict[str, Any]:
        if self.error is not None:
            raise self.error
        self.posts.append(kwargs)
        return {"ok": True}


class SlackTestNotifier(Notifier):
    """The real notifier with its Slack client swapped for a fake (same WebClient interface)."""

    def slack_client(self) -> SlackClient:
        return FAKE_SLACK


FAKE_SLACK = FakeSlackClient()


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}{SECRET_PATH}"


def make_alert(status: str = "firing", partition: str | None = "2025-01-02") -> Alert:
    return Alert(
        status=status,  # type: ignore[arg-type]
        kind="check_failure",
        asset="daily_summary",
        partition=partition,
        check="partition_deadline",
        summary="Check partition_deadline failed on daily_summary [2025-01-02].",
        details="Not complete by 06:00 UTC.",
        url="http://localhost:3000/assets/daily_summary",
        occurred_at="2025-01-03T06:00:00+00:00",
        incident="check_failure:daily_summary:partition_deadline:2025-01-02",
    )


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def test_webhook_posts_the_documented_body_once(receiver: WebhookReceiver) -> None:
    notifier = Notifier(webhook_url=receiver.url())
    [channel] = notifier.channels(logging.getLogger("test"))
    channel.deliver(make_alert())

    assert len(receiver.requests) == 1
    [request] = receiver.requests
    assert request["path"] == SECRET_PATH
    assert request["content_type"] == "application/json"
    assert request["body"] == {
        "status": "firing",
        "kind": "check_failure",
        "asset": "daily_summary",
        "partition": "2025-01-02",
        "check": "partition_deadline",
        "summary": "Check partition_deadline failed on daily_summary [2025-01-02].",
        "details": "Not complete by 06:00 UTC.",
        "url": "http://localhost:3000/assets/daily_summary",
        "occurred_at": "2025-01-03T06:00:00+00:00",
        "incident": "check_failure:daily_summary:partition_deadline:2025-01-02",
    }


def test_webhook_retries_5xx_with_backoff_then_succeeds(receiver: WebhookReceiver) -> None:
    receiver.statuses = [503, 502]
    waits: list[float] = []
    channel = WebhookChannel(
        receiver.url(), Redactor(), max_attempts=3, backoff_seconds=0.2, sleep=waits.append
    )
    channel.deliver(make_alert())
    assert len(receiver.requests) == 3
    assert receiver.bodies[0] == receiver.bodies[2] == make_alert().body()
    # Exponential with jitter: about 0.2 s, then about 0.4 s, never exactly the step.
    assert 0.1 <= waits[0] <= 0.3 and 0.2 <= waits[1] <= 0.6


def test_webhook_does_not_retry_4xx_and_hides_the_url(receiver: WebhookReceiver) -> None:
    receiver.statuses = [403]
    channel = WebhookChannel(receiver.url(), Redactor.for_settings(receiver.url(), []))
    with pytest.raises(DeliveryError) as raised:
        channel.deliver(make_alert())
    assert len(receiver.requests) == 1
    assert "HTTP 403" in str(raised.value)
    assert "127.0.0.1" in str(raised.value)
    assert_no_secret(str(raised.value))


def test_connection_errors_are_retried_then_reported_without_secrets() -> None:
    url = closed_port_url()
    waits: list[float] = []
    channel = WebhookChannel(
        url, Redactor.for_settings(url, []), max_attempts=3, timeout_seconds=1, sleep=waits.append
    )
    with pytest.raises(DeliveryError) as raised:
        channel.deliver(make_alert())
    assert len(waits) == 2  # three attempts, two waits
    assert "after 3 attempts" in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    assert_no_secret(str(raised.value))


def test_a_dead_channel_is_logged_queued_and_redelivered_next_tick_only_there(
    receiver: WebhookReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.default_status = 500
    slack = FakeSlackClient()
    url = receiver.url()
    redactor = Redactor.for_settings(url, [SLACK_TOKEN])
    channels = [
        WebhookChannel(url, redactor, max_attempts=2, backoff_seconds=0.01),
        SlackChannel(slack, "#data-alerts", redactor),
    ]
    state = AlertState()
    log = logging.getLogger("alerts-test")
    with caplog.at_level(logging.INFO, logger="alerts-test"):
        tick = TickDelivery(channels, state, log)  # type: ignore[arg-type]
        tick.send(make_alert())
        tick.send(make_alert(partition="2025-01-03"))

    # The webhook was tried for the first alert only (2 attempts), then skipped this tick;
    # Slack got both; nothing was lost: both wait in the outbox for the webhook alone.
    assert len(receiver.requests) == 2
    assert len(slack.posts) == 2
    assert [entry["channels"] for entry in state.outbox] == [["webhook"], ["webhook"]]
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "HTTP 500" in errors[0]
    assert_no_secret(caplog.text)

    # The next tick (from the cursor, as after a restart): the webhook is back.
    receiver.default_status = 200
    receiver.requests.clear()
    restored = AlertState.load(state.dump())
    TickDelivery(channels, restored, log).retry_outbox()  # type: ignore[arg-type]
    assert [b["partition"] for b in receiver.bodies] == ["2025-01-02", "2025-01-03"]
    assert len(slack.posts) == 2  # no duplicate on Slack
    assert restored.outbox == []


def test_slack_gets_a_readable_text_rendering() -> None:
    FAKE_SLACK.posts.clear()
    notifier = SlackTestNotifier(slack_bot_token=SLACK_TOKEN, slack_channel="#data-alerts")
    [channel] = notifier.channels(logging.getLogger("test"))
    channel.deliver(make_alert())
    channel.deliver(make_alert(status="resolved"))

    first, second = FAKE_SLACK.posts
    assert first["channel"] == "#data-alerts"
    assert first["text"].splitlines() == [
        ":red_circle: *FIRING* check failure: daily_summary [2025-01-02]"
        " check `partition_deadline`",
        "Check partition_deadline failed on daily_summary [2025-01-02].",
        "Not complete by 06:00 UTC.",
        "<http://localhost:3000/assets/daily_summary|Open in Dagster> · 2025-01-03T06:00:00+00:00",
    ]
    assert second["text"].startswith(":white_check_mark: *RESOLVED* check failure: daily_summary")


def test_slack_errors_never_show_the_token() -> None:
    client = FakeSlackClient(error=RuntimeError(f"invalid_auth for token {SLACK_TOKEN}"))
    channel = SlackChannel(client, "#data-alerts", Redactor.for_settings("", [SLACK_TOKEN]))
    with pytest.raises(DeliveryError) as raised:
        channel.deliver(make_alert())
    assert "invalid_auth" in str(raised.value)
    assert_no_secret(str(raised.value))


def test_webhook_and_slack_both_get_each_alert(receiver: WebhookReceiver) -> None:
    FAKE_SLACK.posts.clear()
    notifier = SlackTestNotifier(webhook_url=receiver.url(), slack_bot_token=SLACK_TOKEN)
    channels = notifier.channels(logging.getLogger("test"))
    assert [c.name for c in channels] == ["webhook", "slack"]
    TickDelivery(channels, AlertState(), logging.getLogger("test")).send(make_alert())
    assert len(receiver.requests) == 1 and len(FAKE_SLACK.posts) == 1


def test_log_only_by_default(caplog: pytest.LogCaptureFixture) -> None:
    notifier = Notifier()
    log = logging.getLogger("alerts-default")
    channels = notifier.channels(log)
    assert [type(c) for c in channels] == [LogChannel]
    with caplog.at_level(logging.INFO, logger="alerts-default"):
        TickDelivery(channels, AlertState(), log).send(make_alert())
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "log only" in warnings[0].getMessage()
    assert "daily_summary [2025-01-02]" in warnings[0].getMessage()


def test_settings_bind_the_notifier_through_env_vars(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ALERT_WEBHOOK_URL", "SLACK_BOT_TOKEN", "SLACK_CHANNEL", "DAGSTER_UI_URL"):
        monkeypatch.delenv(name, raising=False)
    default = notifier_from_settings()
    assert (default.webhook_url, default.slack_bot_token) == ("", "")
    assert default.ui_url == "http://localhost:3000"

    monkeypatch.setenv("ALERT_WEBHOOK_URL", "https://hooks.example.com/x/y/z")
    monkeypatch.setenv("SLACK_BOT_TOKEN", SLACK_TOKEN)
    configured = notifier_from_settings()
    # An EnvVar, so the UI shows the variable's name, never the secret itself.
    assert configured.webhook_url == dg.EnvVar("ALERT_WEBHOOK_URL")
    assert configured.slack_bot_token == dg.EnvVar("SLACK_BOT_TOKEN")


def test_redaction_masks_every_form_of_the_secret() -> None:
    url = "https://hooks.example.com:8443/services/T0/B0/s3cr3t-webhook-token?key=abc123"
    redactor = Redactor.for_settings(url, [SLACK_TOKEN])
    text = (
        f"POST {url} failed; path /services/T0/B0/s3cr3t-webhook-token; "
        f"query key=abc123; token {SLACK_TOKEN}; other xoxp-999-abc"
    )
    cleaned = redactor.clean(text)
    assert_no_secret(cleaned)
    assert "abc123" not in cleaned and "xoxp-999" not in cleaned
    assert safe_url(url) == "https://hooks.example.com:8443/***"


def test_backoff_grows_and_is_capped() -> None:
    assert all(0.25 <= backoff_delay(1, 0.5) <= 0.75 for _ in range(50))
    assert all(0.5 <= backoff_delay(2, 0.5) <= 1.5 for _ in range(50))
    assert all(backoff_delay(20, 0.5) <= 12 for _ in range(50))


def test_state_round_trips_and_stays_bounded() -> None:
    state = AlertState(after=41)
    evicted = [e for i in range(MAX_OPEN_INCIDENTS + 3) for e in state.open_incident(f"i{i}", {})]
    assert evicted == ["i0", "i1", "i2"]
    dropped = [state.queue(make_alert().body(), ["webhook"]) for _ in range(MAX_OUTBOX + 1)]
    assert dropped[-1] is not None and len(state.outbox) == MAX_OUTBOX
    restored = AlertState.load(state.dump())
    assert restored == state
    assert Alert.from_body(restored.outbox[0]["alert"]) == make_alert()
    # A cursor from something else (or an older format) starts afresh instead of failing.
    assert AlertState.load('{"2025-01-01": "abc"}') == AlertState()
    assert AlertState.load("not json") == AlertState()


def test_the_test_alert_command_uses_the_configured_channels(
    receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ALERT_WEBHOOK_URL", receiver.url())
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    assert alerts_command() == 0
    [body] = receiver.bodies
    assert body["kind"] == "test" and body["status"] == "firing"
    assert "webhook: delivered" in capsys.readouterr().out

    monkeypatch.setenv("ALERT_WEBHOOK_URL", closed_port_url())
    assert alerts_command() == 1
    captured = capsys.readouterr()
    assert "webhook: FAILED" in captured.out
    assert_no_secret(captured.out + captured.err)


def test_eviction_after_a_cursor_round_trip_forgets_the_oldest_incident() -> None:
    """The cursor keeps incidents in the order they opened, whatever their names sort to."""
    state = AlertState(after=7)
    # Opened newest-name-first, so alphabetical order is the reverse of opening order.
    names = [f"incident-{MAX_OPEN_INCIDENTS - i:04d}" for i in range(MAX_OPEN_INCIDENTS)]
    for name in names:
        state.open_incident(name, {"since": name})
    restored = AlertState.load(state.dump())
    assert list(restored.open) == names
    assert restored.open_incident("incident-newest", {}) == [names[0]]
    assert names[-1] in restored.open
