"""The Spark session a process works in: one per process, built from `WAREHOUSE_URL` and the
`SPARK_*` settings, configured so that Spark computes exactly what DuckDB does.

What is set, and why:

- `spark.sql.session.timeZone=UTC` and `spark.sql.timestampType=TIMESTAMP_NTZ`: the platform's
  timestamps are naive UTC (DuckDB's `TIMESTAMP`). With NTZ as Spark's default, `CAST(x AS
  TIMESTAMP)` in a translated query, a bound Python `datetime` and the tables' columns all mean
  the same naive UTC time, and Arrow gives them back as `timestamp[us]` without a zone.
- `spark.sql.sources.partitionOverwriteMode=dynamic`: `INSERT OVERWRITE` replaces only the
  partitions (days) it writes, never the whole table.
- `spark.sql.catalogImplementation=in-memory` and `spark.sql.hive.manageFilesourcePartitions=
  false`: the catalog is the platform's table catalog (`warehouse.tables`), declared again in
  every process over the Parquet folders (`layout.attach`), and partitions are the folders
  themselves. So any number of processes (a run, `event-analytics sql`, dbt) read the same
  tables with no metastore to share: an embedded Derby metastore admits one process at a time.
- `spark.pyspark.python`: in local mode the Python workers run this interpreter, so they import
  the platform (validator, landing zone) from the same environment.
- the UI and the console progress bar are off: a run's log is not a terminal.
- SPARK_CONF's settings (credentials among them) reach the JVM in a file only this user can
  read (`conf_file`), never on its command line, where `ps` shows them to every user.

A process holds one SparkContext; a second `connect()` reuses it, and the runtime settings
above are applied again to the session every time, so a session someone else started (a test
fixture, a notebook) computes the same way.
"""

from __future__ import annotations

import os
import shlex
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from event_analytics.process_environment import environment

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: Settings every Spark session of the platform runs with (see the module's docstring).
RUNTIME_CONF: Mapping[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.timestampType": "TIMESTAMP_NTZ",
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
    # Exact decimals: an overflow is an error, never a NULL.
    "spark.sql.ansi.enabled": "true",
}
#: Settings that must be in place before the session starts.
STATIC_CONF: Mapping[str, str] = {
    "spark.sql.catalogImplementation": "in-memory",
    "spark.sql.hive.manageFilesourcePartitions": "false",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
}
#: Keys SPARK_CONF may not set: the platform's results depend on them.
RESERVED_KEYS = frozenset(
    {*RUNTIME_CONF, *STATIC_CONF, "spark.master", "spark.remote", "spark.sql.warehouse.dir"}
)

_lock = threading.Lock()


@dataclass(frozen=True)
class SparkOptions:
    """How to reach Spark: a master (`local[*]`, `spark://host:7077`) or a Spark Connect URL
    (`sc://host:15002`), where the tables live, and extra Spark settings."""

    master: str = "local[*]"
    connect_url: str | None = field(default=None, repr=False)  # may carry a token
    warehouse_dir: str = ""
    driver_memory: str = "2g"
    conf: tuple[tuple[str, str], ...] = field(default=(), repr=False)  # may carry secrets

    @property
    def is_local(self) -> bool:
        return self.connect_url is None and self.master.startswith("local")


def get_session(options: SparkOptions) -> SparkSession:
    """This process's Spark session (started on first use), configured for the platform."""
    from pyspark.sql import SparkSession

    with _lock:
        active = SparkSession.getActiveSession()
        session = active if active is not None else _build(options)
        for key, value in RUNTIME_CONF.items():
            session.conf.set(key, value)
        return session


def classic_settings(options: SparkOptions) -> dict[str, str]:
    """The settings a session of `options` is built with, when it is not Spark Connect: the
    master, the platform's settings (above) and its warehouse folder. SPARK_CONF's go to the
    JVM in a file instead (`conf_file`); a key SPARK_CONF sets is left to it.

    dbt's own Spark session (the marts, `dbt.environment`) starts with the same ones.
    """
    settings = {"spark.master": options.master, **STATIC_CONF, **RUNTIME_CONF}
    settings["spark.driver.memory"] = options.driver_memory
    if options.warehouse_dir:
        settings["spark.sql.warehouse.dir"] = options.warehouse_dir
    if options.is_local:
        # The Python workers run this interpreter, with the platform installed.
        settings["spark.pyspark.python"] = sys.executable
        # Spark's 200 shuffle partitions are sized for a cluster; on one machine each is a
        # task to schedule for a few rows. Two per core (SPARK_CONF may say otherwise).
        settings["spark.sql.shuffle.partitions"] = str(2 * (os.cpu_count() or 1))
    user_keys = {key for key, _ in options.conf}
    return {key: value for key, value in settings.items() if key not in user_keys}


@contextmanager
def conf_file(conf: Sequence[tuple[str, str]]) -> Iterator[str | None]:
    """SPARK_CONF's settings (secrets among them) in a properties file only this user can read,
    for a JVM that `spark-submit` starts: `submit_args` names it. Removed on leaving the block;
    None when there is nothing to write.

    Why a file: PySpark starts the JVM with each setting given to a session builder as a
    `--conf key=value` argument, and any user of the machine sees those in `ps`.
    """
    if not conf:
        yield None
        return
    fd, path = tempfile.mkstemp(prefix="event-analytics-spark-", suffix=".conf")  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.writelines(f"{_escaped(key)}={_escaped(value)}\n" for key, value in conf)
        yield path
    finally:
        os.unlink(path)


def submit_args(properties_file: str) -> str:
    """PYSPARK_SUBMIT_ARGS that make `spark-submit` read `properties_file`, in front of any
    arguments already set there."""
    existing = os.environ.get("PYSPARK_SUBMIT_ARGS", "pyspark-shell")
    return f"--properties-file {shlex.quote(properties_file)} {existing}"


def _escaped(text: str) -> str:
    """`text` as a Java properties file reads it back (java.util.Properties.load)."""
    special = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\f": "\\f"}
    return "".join(special.get(char, "\\" + char if char in " =:#!" else char) for char in text)


def _build(options: SparkOptions) -> SparkSession:
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("event_analytics")
    if options.connect_url is not None:
        builder = builder.remote(options.connect_url)
        for key, value in options.conf:
            builder = builder.config(key, value)
    else:
        if options.is_local:
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        for key, value in classic_settings(options).items():
            builder = builder.config(key, value)
    with conf_file(() if options.connect_url else options.conf) as path:
        if path is None:
            session = builder.getOrCreate()
        else:
            with environment({"PYSPARK_SUBMIT_ARGS": submit_args(path)}):
                session = builder.getOrCreate()
    if options.connect_url is None:
        # Every failure reaches the caller as an exception with Spark's message; the JVM's own
        # log would print each one again, a page of Java stack per failed query.
        session.sparkContext.setLogLevel("FATAL")
    return session
