"""Transient warehouse errors are retried with backoff; data errors fail at once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from event_analytics.warehouse import Warehouse, WarehouseResource
from event_analytics.warehouse import retry as retry_module
from harness import Platform

ERRORS = {
    "lock": lambda: duckdb.IOException(
        'IO Error: Could not set lock on file "w.duckdb": Conflicting lock is held'
    ),
    "closed": lambda: duckdb.ConnectionException("Connection Error: connection closed"),
    "data": lambda: duckdb.ConversionException("Conversion Error: could not convert 'x'"),
}


class FlakyWarehouse(WarehouseResource):
    """The real warehouse, except that the first `connect` calls raise a chosen error."""

    failures_file: str
    error: str

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[Warehouse]:
        counter = Path(self.failures_file)
        remaining = int(counter.read_text())
        if remaining > 0:
            counter.write_text(str(remaining - 1))
            raise ERRORS[self.error]()
        with super().connect(read_only) as connection:
            yield connection


def _run(
    platform: Platform, tmp_path: Path, error: str, failures: int
) -> dg.ExecuteInProcessResult:
    counter = tmp_path / "failures"
    counter.write_text(str(failures))
    resources = {
        **platform.resources,
        "warehouse": FlakyWarehouse(
            url=f"duckdb:///{platform.db_path}", failures_file=str(counter), error=error
        ),
    }
    return dg.materialize(
        [platform.defs.get_assets_def("raw_events")],
        resources=resources,
        partition_key="2025-01-01",
        raise_on_error=False,
    )


def _retries(result: dg.ExecuteInProcessResult) -> int:
    return sum(
        1 for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY
    )


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retry_module, "BASE_DELAY_SECONDS", 0.01)


@pytest.mark.parametrize("error", ["lock", "closed"])
def test_transient_errors_are_retried_until_success(
    platform: Platform, tmp_path: Path, error: str
) -> None:
    platform.generate(dt.date(2025, 1, 1), days=1, events_per_day=200)
    result = _run(platform, tmp_path, error, failures=2)
    assert result.success
    assert _retries(result) == 2
    assert platform.rows("SELECT count(*) > 0 FROM raw.events") == [(True,)]


def test_retries_give_up_after_the_limit(platform: Platform, tmp_path: Path) -> None:
    result = _run(platform, tmp_path, "lock", failures=retry_module.MAX_RETRIES + 5)
    assert not result.success
    assert _retries(result) == retry_module.MAX_RETRIES


def test_data_errors_are_not_retried(platform: Platform, tmp_path: Path) -> None:
    result = _run(platform, tmp_path, "data", failures=1)
    assert not result.success
    assert _retries(result) == 0


def test_backoff_grows_and_is_jittered() -> None:
    delays = [retry_module.retry_delay(attempt) for attempt in range(6)]
    assert all(
        retry_module.BASE_DELAY_SECONDS * 2**a / 2 <= d <= retry_module.BASE_DELAY_SECONDS * 2**a
        for a, d in enumerate(delays[:4])
    )
    assert max(delays) <= retry_module.MAX_DELAY_SECONDS
    assert len({retry_module.retry_delay(3) for _ in range(20)}) > 1
