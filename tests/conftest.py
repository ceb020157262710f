"""Shared fixtures: a real landing zone on disk and a real DuckDB file per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harness import Platform
from postgres_server import PostgresServer, running_postgres


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
