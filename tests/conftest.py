"""Shared fixtures: a real landing zone on disk and a real DuckDB file per test."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harness import Platform
from postgres_server import PostgresServer, running_postgres
from s3_server import S3Bucket, S3Server, fresh_bucket, isolate_from_the_machine, running_s3
from spark_session import SparkPlatform, start_session


def pytest_configure(config: pytest.Config) -> None:
    """Let Ctrl-C reach the commands the tests start, however the suite itself was started.

    A shell starts a background job (`make test &`, `nohup ...`) with SIGINT ignored, and every
    process below inherits that: the tests that press Ctrl-C on a command (test_cli,
    test_devserver, test_make_run) would see it ignored. With Python's own handler here, the
    processes the tests start get SIGINT's default again, as from a terminal.
    """
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture
def platform(tmp_path: Path) -> Platform:
    return Platform(tmp_path)


@pytest.fixture
def write_day(platform: Platform) -> Callable[[str, str, bytes | str], Path]:
    """Write a file into a day's landing folder: `write_day("2025-01-02", "a.jsonl", text)`."""

    def write(day: str, name: str, content: bytes | str) -> Path:
        folder = platform.landing_root / "events" / f"date={day}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        return path

    return write


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A private PostgreSQL server for the whole session (see tests/postgres_server.py)."""
    with running_postgres() as server:
        yield server


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """moto's S3 server on 127.0.0.1 for the whole session (see tests/s3_server.py)."""
    with running_s3() as server:
        yield server


@pytest.fixture
def s3(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> S3Bucket:
    """A fresh bucket, with the standard AWS variables pointing boto3 at the test server (and
    nothing of the machine's own AWS configuration in effect)."""
    isolate_from_the_machine(monkeypatch, tmp_path)
    for name, value in s3_server.environment.items():
        monkeypatch.setenv(name, value)
    return fresh_bucket(s3_server)


@pytest.fixture(scope="session")
def spark() -> object:
    """The test session's one local Spark session (see tests/spark_session.py)."""
    return start_session()


@pytest.fixture
def spark_platform(spark: object, tmp_path: Path) -> SparkPlatform:
    """A landing zone and a Spark warehouse folder, in the shared Spark session."""
    return SparkPlatform(tmp_path)
