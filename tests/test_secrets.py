"""Secrets stay secret: not in run logs, metadata, error messages, alerts or the UI's GraphQL.

The pipeline runs with a password in WAREHOUSE_URL (a server that is not there, so the run
fails at resource start-up, the path where URLs most often leak) and a token in
ALERT_WEBHOOK_URL; then with a working warehouse, so metadata exists; the alert sensor posts
to a real webhook; and a real webserver answers GraphQL about all of it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from event_analytics.alerts import Notifier
from event_analytics.defs.alerting.run_failures import run_failure_alert_sensor
from event_analytics.landing import LandingZoneResource
from event_analytics.warehouse import WarehouseResource
from harness import Platform
from network import free_loopback_port
from test_alerts_delivery import WebhookReceiver

PASSWORD = "pw-7f3a-S3CRET"
TOKEN = "tok-91c2-S3CRET"
PROJECT_ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _graphql(port: int, query: str, variables: dict[str, Any] | None = None) -> str:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        text: str = response.read().decode()
    assert '"errors"' not in text, text[:2000]
    return text


_RUNS = "{ runsOrError { ... on Runs { results { runId status } } } }"
_LOGS = """
query Logs($runId: ID!) {
  logsForRun(runId: $runId) {
    ... on EventConnection {
      events {
        __typename
        ... on MessageEvent { message }
        ... on ErrorEvent { error { message stack causes { message stack } } }
      }
    }
  }
}
"""
_RESOURCES = """
query Resource($name: String!) {
  topLevelResourceDetailsOrError(resourceSelector: {
    repositoryLocationName: "event_analytics", repositoryName: "__repository__",
    resourceName: $name
  }) {
    ... on ResourceDetails { name configuredValues { key value type } }
    ... on ResourceNotFoundError { message }
  }
}
"""
_METADATA = """
{ assetNodes { assetKey { path }
  assetMaterializations(limit: 5) { metadataEntries { label
    ... on TextMetadataEntry { text } ... on JsonMetadataEntry { jsonString } } } } }
"""


def test_no_secret_in_logs_metadata_errors_alerts_or_graphql(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    platform = Platform(tmp_path / "platform")
    platform.generate(dt.date(2025, 1, 1), days=1, events_per_day=300)
    secret_url = f"postgresql://analyst:{PASSWORD}@127.0.0.1:5/events"

    with WebhookReceiver() as receiver, dg.DagsterInstance.from_config(str(home)) as instance:
        hook = receiver.url(f"/hooks/{TOKEN}")
        monkeypatch.setenv("WAREHOUSE_URL", secret_url)
        monkeypatch.setenv("ALERT_WEBHOOK_URL", hook)
        notifier = Notifier(webhook_url=dg.EnvVar("ALERT_WEBHOOK_URL"))
        resources = {
            "warehouse": WarehouseResource(url=dg.EnvVar("WAREHOUSE_URL")),
            "landing": LandingZoneResource(url=str(platform.landing_root)),
        }
        assets = [platform.defs.get_assets_def("raw_events")]

        def tick(cursor: str | None) -> str | None:
            context = dg.build_sensor_context(
                instance=instance,
                cursor=cursor,
                definitions=platform.defs,
                resources={"notifier": notifier},
            )
            result = run_failure_alert_sensor(context)
            assert isinstance(result, dg.SensorResult)
            return result.cursor

        cursor = tick(None)
        failed = dg.materialize(
            assets,
            resources=resources,
            partition_key="2025-01-01",
            instance=instance,
            raise_on_error=False,
        )
        assert not failed.success
        cursor = tick(cursor)
        assert [b["status"] for b in receiver.bodies] == ["firing"]
        assert receiver.requests[0]["path"] == f"/hooks/{TOKEN}"  # it did use the secret

        monkeypatch.setenv("WAREHOUSE_URL", f"duckdb:///{platform.db_path}")
        assert dg.materialize(
            assets, resources=resources, partition_key="2025-01-01", instance=instance
        ).success
        tick(cursor)

        texts = [json.dumps(receiver.bodies)]
        for run in instance.get_runs():
            for record in instance.all_logs(run.run_id):
                texts.append(repr(record))

    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "WAREHOUSE_URL": secret_url,
        "ALERT_WEBHOOK_URL": hook,
        "EVENTS_LANDING_URL": str(platform.landing_root),
    }
    port = free_loopback_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "dagster-webserver"),
            "-w",
            "workspace.yaml",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2)
                break
            except OSError:
                assert server.poll() is None, "the webserver exited"
                assert time.monotonic() < deadline, "the webserver did not start"
                time.sleep(0.5)
        runs = _graphql(port, _RUNS)
        texts.append(runs)
        run_ids = [r["runId"] for r in json.loads(runs)["data"]["runsOrError"]["results"]]
        assert len(run_ids) == 2
        for run_id in run_ids:
            texts.append(_graphql(port, _LOGS, {"runId": run_id}))
        for name in ("warehouse", "notifier"):
            answer = _graphql(port, _RESOURCES, {"name": name})
            assert "ENV_VAR" in answer, answer  # shown as the variable's name, not its value
            texts.append(answer)
        texts.append(_graphql(port, _METADATA))
    finally:
        os.killpg(server.pid, 15)
        texts.append(server.communicate(timeout=60)[0])

    captured = capfd.readouterr()
    texts += [captured.out, captured.err]
    everything = "\n".join(texts)
    assert "WAREHOUSE_URL" in everything  # the failure was explained...
    assert PASSWORD not in everything  # ...without the password
    assert TOKEN not in everything
