"""Whether the places the settings name can be used: the warehouse (a DuckDB file's folder, or
a PostgreSQL server that accepts the login) and the landing zone (a folder, or an S3 bucket and
prefix).

The resources run these checks when they start, and `event-analytics check-config` runs the
same ones without starting anything (this module does not import Dagster, so the command stays
quick). The platform never creates these folders itself: a typo in a path is an error, not a
new folder somewhere unexpected.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from event_analytics.setting_parsers import LandingLocation, S3Location, WarehouseTarget
from event_analytics.settings import (
    EVENTS_LANDING_URL,
    PGPASSWORD,
    WAREHOUSE_URL,
    LandingZoneConfigError,
    WarehouseConfigError,
)


def check_warehouse(target: WarehouseTarget, environ: Mapping[str, str] | None = None) -> None:
    """Raise `WarehouseConfigError` unless the warehouse `target` names can be used: a DuckDB
    file this process can create or write, or a PostgreSQL server that accepts the login (the
    one check that talks to a server; it never shows the password). `environ` is where
    `PGPASSWORD` is read from when the URL has no password (default: this process's)."""
    if target.backend == "spark":
        from event_analytics.warehouse.spark.reachable import check_spark

        check_spark(target)
        return
    if target.backend == "postgres":
        # Imported only for PostgreSQL: the DuckDB default never loads a PostgreSQL driver.
        from event_analytics.warehouse.postgres_backend import check_login

        if target.password is None and environ is not None:
            target = replace(target, password=PGPASSWORD.value(environ) or None)
        check_login(target)
        return
    check_warehouse_file(target.file)


def check_warehouse_file(path: Path) -> None:
    """Raise `WarehouseConfigError` unless DuckDB can create or open `path` for writing.

    DuckDB creates the file and its write-ahead log beside it, so the folder must exist and be
    writable; the file, when it exists, must be a file.
    """
    folder = path.absolute().parent
    where = f"{WAREHOUSE_URL.env_var} points at {path}, but"
    fix = f"create the folder, or point {WAREHOUSE_URL.env_var} at a file in an existing one"
    if not folder.exists():
        raise WarehouseConfigError(f"{where} its folder {folder} does not exist: {fix}.")
    if not folder.is_dir():
        raise WarehouseConfigError(f"{where} {folder} is not a folder: {fix}.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise WarehouseConfigError(
            f"{where} this process cannot write its folder {folder}: grant write access, or "
            f"point {WAREHOUSE_URL.env_var} at a writable folder."
        )
    if path.exists() and not path.is_file():
        raise WarehouseConfigError(f"{where} that is not a file: name a DuckDB file.")


def check_landing_root(root: LandingLocation) -> None:
    """Raise `LandingZoneConfigError` unless this process can read the landing zone at `root`:
    a folder it can list, or an S3 bucket whose prefix it can list (endpoint answering,
    credentials accepted; see `landing.s3.S3Storage.check`).

    A missing *day* folder is a day without events; a missing *root* is a mistake.
    """
    if isinstance(root, S3Location):
        # Imported only for S3: boto3 (and the landing package) take a moment to load.
        from event_analytics.landing.s3 import S3Storage

        S3Storage(root).check()
        return
    if not root.is_dir():
        raise LandingZoneConfigError(
            f"{EVENTS_LANDING_URL.env_var} points at {root}, which is not a folder: create "
            "it, or point the variable at your landing zone (the folder that holds "
            "events/date=YYYY-MM-DD/)."
        )
    if not os.access(root, os.R_OK | os.X_OK):
        raise LandingZoneConfigError(
            f"{EVENTS_LANDING_URL.env_var} points at {root}, which this process cannot read."
        )
