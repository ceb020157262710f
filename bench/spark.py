"""The ``project_spark`` contender's site: the project with ``WAREHOUSE_URL=spark:///folder``, a
local Spark session (``local[*]``) started by the run itself, and Spark's event log.

The bench reads the figures the run left with DuckDB, straight from the tables' Parquet folders
(Spark's standard layout, ``<warehouse>/<schema>.db/<table>/<column>=<day>/``): starting Spark
in the bench's own process would cost half a minute and measure nothing. The event log
(``spark.eventLog.enabled``) tells how the work spread: the stages, their tasks, and how many
task-seconds each wall-second of a stage held (1.0: one core busy; ``local[*]`` has one per
core).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb

from bench.project import ProjectSite
from event_analytics.warehouse.duckdb_backend import TYPES
from event_analytics.warehouse.tables import DAILY_SUMMARY, RAW_EVENTS, REJECTED_EVENTS, Table

_TABLES = (RAW_EVENTS, REJECTED_EVENTS, DAILY_SUMMARY)


class SparkSite(ProjectSite):
    """A fresh deployment of the project whose warehouse is a fresh Spark warehouse folder."""

    def __init__(self, folder: Path, landing: Path) -> None:
        super().__init__(folder, landing)
        self.spark_warehouse = folder / "spark-warehouse"
        self.event_log = folder / "spark-events"

    def env(self) -> dict[str, str]:
        self.spark_warehouse.mkdir(parents=True, exist_ok=True)
        self.event_log.mkdir(parents=True, exist_ok=True)
        conf = {
            "spark.eventLog.enabled": "true",
            "spark.eventLog.dir": str(self.event_log),
            # One plain JSON-lines file per application (Spark 4 rolls and compresses by default).
            "spark.eventLog.rolling.enabled": "false",
            "spark.eventLog.compress": "false",
        }
        return super().env() | {
            "WAREHOUSE_URL": f"spark://{self.spark_warehouse}",
            "SPARK_CONF": json.dumps(conf),
        }

    def rows(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        """The rows of a query (DuckDB's dialect) over the Parquet folders the run wrote."""
        with duckdb.connect() as con:
            for table in _TABLES:
                folder = self.spark_warehouse / f"{table.schema}.db" / table.name
                con.execute(f"CREATE SCHEMA IF NOT EXISTS {table.schema}")
                if not any(folder.glob("*/*.parquet")):  # no day has rows (no rejected line)
                    con.execute(_empty_table(table))
                    continue
                # The folder is the bench's own; DuckDB takes no parameter in a view's source.
                con.execute(
                    f"CREATE VIEW {table.qualified} AS SELECT * FROM read_parquet("  # noqa: S608
                    f"'{folder}/*/*.parquet', hive_partitioning = true)"
                )
            return con.execute(sql, params).fetchall()

    def spread(self) -> dict[str, float]:
        """How the run's Spark work spread over the executors' cores, from the event log."""
        stages: dict[int, dict[str, float]] = {}
        executors: set[str] = set()
        for log in (p for p in self.event_log.rglob("*") if p.is_file()):
            for line in log.read_text().splitlines():
                event = json.loads(line)
                if event.get("Event") == "SparkListenerTaskEnd":
                    info = event["Task Info"]
                    stage = stages.setdefault(event["Stage ID"], {"tasks": 0, "task_s": 0.0})
                    stage["tasks"] += 1
                    stage["task_s"] += (info["Finish Time"] - info["Launch Time"]) / 1000
                    executors.add(info["Executor ID"])
                elif event.get("Event") == "SparkListenerStageCompleted":
                    info = event["Stage Info"]
                    stage = stages.setdefault(info["Stage ID"], {"tasks": 0, "task_s": 0.0})
                    stage["wall_s"] = (info["Completion Time"] - info["Submission Time"]) / 1000
        if not stages:
            return {}
        wall = sum(s.get("wall_s", 0.0) for s in stages.values())
        busiest = max(stages.values(), key=lambda s: s.get("wall_s", 0.0))
        return {
            "spark_stages": float(len(stages)),
            "spark_tasks": float(sum(s["tasks"] for s in stages.values())),
            "spark_executors": float(len(executors)),
            "spark_stage_wall_s": wall,
            "spark_busy_cores": sum(s["task_s"] for s in stages.values()) / wall if wall else 0.0,
            "spark_longest_stage_s": busiest.get("wall_s", 0.0),
            "spark_longest_stage_tasks": busiest["tasks"],
            "spark_longest_stage_busy_cores": (
                busiest["task_s"] / busiest["wall_s"] if busiest.get("wall_s") else 0.0
            ),
        }


def _empty_table(table: Table) -> str:
    """DDL of an empty DuckDB table with `table`'s columns (identifiers from the catalog)."""
    columns = ", ".join(f"{c.name} {TYPES[c.kind]}" for c in table.columns)
    return f"CREATE TABLE {table.qualified} ({columns})"
