"""Whether the Spark warehouse `WAREHOUSE_URL` names can be used, checked without starting
Spark (a JVM takes seconds): what `event-analytics check-config` and the warehouse resource ask.

- a local session (`spark:///folder`): the folder exists and this process can write it (Spark
  creates `<schema>.db/` inside; the platform never creates the folder itself, so a typo is an
  error, not a new folder somewhere unexpected);
- a cluster (`spark://host:port`) or Spark Connect (`sc://host:port`): something answers on
  that address (a TCP connection; Spark itself logs in when the session starts).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from event_analytics.setting_parsers import WarehouseTarget
from event_analytics.settings import WAREHOUSE_URL, WarehouseConfigError


def check_spark(target: WarehouseTarget, timeout_seconds: float = 5.0) -> None:
    """Raise `WarehouseConfigError` naming `WAREHOUSE_URL` and the fix, or return."""
    if target.spark_master.startswith("local"):
        _check_folder(Path(target.warehouse_dir))
        return
    try:
        with socket.create_connection((target.host, target.port), timeout=timeout_seconds):
            pass
    except OSError as error:
        raise WarehouseConfigError(
            f"{WAREHOUSE_URL.env_var} names Spark at {target.describe()}, which does not "
            f"answer ({error.strerror or error}): start the cluster (or the Spark Connect "
            "server), or fix the host and port."
        ) from None


def _check_folder(folder: Path) -> None:
    where = f"{WAREHOUSE_URL.env_var} names the Spark warehouse folder {folder}, but"
    if not folder.exists():
        raise WarehouseConfigError(
            f"{where} it does not exist: create it, or point {WAREHOUSE_URL.env_var} at an "
            "existing folder (spark:///absolute/folder)."
        )
    if not folder.is_dir():
        raise WarehouseConfigError(f"{where} it is not a folder: name a folder.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise WarehouseConfigError(
            f"{where} this process cannot write it: grant write access, or point "
            f"{WAREHOUSE_URL.env_var} at a writable folder."
        )
