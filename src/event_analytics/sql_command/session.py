"""A read-only session on the warehouse the settings name, for `event-analytics sql`.

The same resource the platform's assets use (`WarehouseResource`), built from the same settings
(`WAREHOUSE_URL`, `DUCKDB_MEMORY_LIMIT`, `DUCKDB_LOCK_TIMEOUT_SECONDS`) through their parsers,
and opened read-only: DuckDB opens the file with `read_only=True` (no write can happen, and the
file is never created), a server backend makes its session read-only. That is the guarantee
that the command never changes the warehouse, whatever text it is given.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from urllib.parse import urlsplit

from event_analytics.settings import (
    DUCKDB_LOCK_TIMEOUT_SECONDS,
    DUCKDB_MEMORY_LIMIT,
    SPARK_CONF,
    SPARK_DRIVER_MEMORY,
    SPARK_WAREHOUSE_DIR,
    WAREHOUSE_URL,
)
from event_analytics.warehouse import Warehouse, WarehouseResource


def warehouse_resource(environ: Mapping[str, str] | None = None) -> WarehouseResource:
    """The warehouse as the settings configure it; `SettingError` naming the variable when a
    setting cannot be used (a secret URL is never shown whole)."""
    url = WAREHOUSE_URL.raw(environ)
    WAREHOUSE_URL.parse(url)
    memory_limit = DUCKDB_MEMORY_LIMIT.raw(environ)
    DUCKDB_MEMORY_LIMIT.parse(memory_limit)
    # The Spark settings are checked too (they matter only to a Spark warehouse).
    for setting in (SPARK_WAREHOUSE_DIR, SPARK_DRIVER_MEMORY, SPARK_CONF):
        setting.value(environ)
    return WarehouseResource(
        url=url,
        memory_limit=memory_limit,
        lock_timeout_seconds=DUCKDB_LOCK_TIMEOUT_SECONDS.value(environ),
        spark_warehouse_dir=SPARK_WAREHOUSE_DIR.raw(environ),
        spark_driver_memory=SPARK_DRIVER_MEMORY.raw(environ),
        spark_conf=SPARK_CONF.raw(environ),
    )


@contextmanager
def read_only_session(environ: Mapping[str, str] | None = None) -> Iterator[Warehouse]:
    """A read-only session on the configured warehouse, closed on exit."""
    with warehouse_resource(environ).connect(read_only=True) as session:
        yield session


def without_secrets(text: str, url: str) -> str:
    """`text` with the URL's password (and the URL itself) masked: a driver's message may echo
    what it was given."""
    masked = text.replace(url, WAREHOUSE_URL.shown(url)) if url else text
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    return masked.replace(password, "***") if password else masked
