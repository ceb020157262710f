"""A long load says where it is: the run's log names the days and files it will read, then after
each batch how far it got (a percentage, the file and day reached, the lines so far).

Read from a real instance's event log, as the UI shows a run's log.
"""

from __future__ import annotations

import datetime as dt
import re

import dagster as dg
import pytest

from event_analytics import ingest
from harness import Platform
from reference_model import read_day

FIRST = dt.date(2025, 1, 1)
DAYS = [FIRST + dt.timedelta(days=i) for i in range(3)]
BATCH = re.compile(
    r"^(?P<percent>\d+)% read: file (?P<file>\d+) of (?P<files>\d+) \((?P<day>[\d-]+)\), "
    r"(?P<lines>[\d,]+) lines so far$"
)


def log_lines(instance: dg.DagsterInstance, run_id: str, step: str) -> list[str]:
    return [
        entry.user_message
        for entry in instance.all_logs(run_id)
        if entry.step_key == step and not entry.is_dagster_event
    ]


def test_a_range_load_logs_its_plan_then_its_progress_batch_by_batch(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    platform.generate(FIRST, days=len(DAYS), events_per_day=3000, seed=2)
    monkeypatch.setattr(ingest, "BATCH_BYTES", 300_000)  # several batches per day
    with dg.DagsterInstance.ephemeral() as instance:
        result = platform.materialize(
            partition_range=(DAYS[0].isoformat(), DAYS[-1].isoformat()),
            assets=["raw_events"],
            instance=instance,
        )
        assert result.success
        lines = log_lines(instance, result.run_id, "raw_events")
    expected = [read_day(platform.landing_root, day) for day in DAYS]
    files = sum(len(e.files) for e in expected)
    total_lines = sum(e.lines_read + e.blank_lines for e in expected)

    [plan] = [line for line in lines if line.startswith("loading ")]
    assert plan.startswith(f"loading {DAYS[0]}...{DAYS[-1]} (3 days): {files} files, ")
    progress = [m.groupdict() for line in lines if (m := BATCH.match(line))]
    assert len(progress) >= 3, lines
    percents = [int(p["percent"]) for p in progress]
    assert percents == sorted(percents) and percents[-1] == 100
    assert [int(p["file"]) for p in progress] == sorted(int(p["file"]) for p in progress)
    assert {p["files"] for p in progress} == {str(files)}
    assert {p["day"] for p in progress} == {day.isoformat() for day in DAYS}
    counted = [int(p["lines"].replace(",", "")) for p in progress]
    assert counted == sorted(counted) and counted[-1] == total_lines
