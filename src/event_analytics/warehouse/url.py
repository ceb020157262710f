"""Parse `WAREHOUSE_URL` into a backend and its target, with errors that say how to fix it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from event_analytics.settings import WAREHOUSE_URL


class WarehouseConfigError(ValueError):
    """`WAREHOUSE_URL` is missing, malformed or names a backend this release cannot use."""


@dataclass(frozen=True)
class WarehouseTarget:
    """Which engine to talk to, and where."""

    backend: str
    path: Path

    def describe(self) -> str:
        """A description safe for logs and metadata (never carries a password)."""
        return f"{self.backend}:{self.path}"


def parse_warehouse_url(url: str) -> WarehouseTarget:
    """Turn `duckdb:///relative.duckdb`, `duckdb:////abs.duckdb` or a bare path into a target."""
    setting = WAREHOUSE_URL.env_var
    text = url.strip()
    if not text:
        raise WarehouseConfigError(
            f"{setting} is empty. Unset it to use the local default "
            f"({WAREHOUSE_URL.default}) or set it to duckdb:///path/to/file.duckdb."
        )
    if "://" not in text:
        return _duckdb_target(text, url)
    scheme, _, rest = text.partition("://")
    scheme = scheme.lower()
    if scheme == "duckdb":
        if not rest.startswith("/"):
            raise WarehouseConfigError(
                f"{setting} must look like duckdb:///relative/file.duckdb or "
                "duckdb:////absolute/file.duckdb (three slashes, then the path)."
            )
        return _duckdb_target(rest[1:], url)
    if scheme in {"postgres", "postgresql", "postgresql+psycopg"}:
        raise WarehouseConfigError(
            f"{setting} names a PostgreSQL server, and this release computes in DuckDB only: "
            "set it to duckdb:///path/to/file.duckdb."
        )
    raise WarehouseConfigError(
        f"{setting} has the scheme {scheme!r}, which is not supported: "
        "use duckdb:///path/to/file.duckdb."
    )


def _duckdb_target(path_text: str, original: str) -> WarehouseTarget:
    if not path_text or path_text.endswith("/"):
        raise WarehouseConfigError(
            f"{WAREHOUSE_URL.env_var} must name a DuckDB file, e.g. duckdb:///data/warehouse.duckdb"
        )
    if path_text == ":memory:":
        raise WarehouseConfigError(
            f"{WAREHOUSE_URL.env_var} cannot be an in-memory DuckDB: every run is its own "
            "process and would see an empty database. Name a file instead."
        )
    return WarehouseTarget(backend="duckdb", path=Path(path_text))
