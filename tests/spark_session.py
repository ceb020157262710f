"""One local Spark session for the whole test session, and the harness's platform on Spark.

Spark starts once per test process (`local[2]`: the machine's two cores, few shuffle
partitions, no UI) and every Spark test shares it: a JVM takes 10-20 s to start here. Each
test's warehouse is a folder of its own under tmp_path; the platform's backend declares that
folder's tables in the shared session when a test connects to it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from event_analytics.warehouse.tables import TABLES
from harness import Platform

CORES = 2
#: Settings of every Spark session the tests start, in this process or in a subprocess.
TEST_SPARK_CONF = '{"spark.sql.shuffle.partitions": "4", "spark.default.parallelism": "2"}'


def require_java() -> None:
    """Skip without a Java runtime, except in CI, where `.ci/run` installs one."""
    if shutil.which("java") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Java is not installed: CI must test the Spark backend (.ci/run)")
        pytest.skip("Java is not installed (Debian: apt-get install openjdk-17-jre-headless)")


def start_session() -> Any:
    """This process's Spark session, local with `CORES` threads."""
    require_java()
    from event_analytics.warehouse.spark.session import SparkOptions, get_session

    return get_session(
        SparkOptions(
            master=f"local[{CORES}]",
            driver_memory="1g",
            conf=(("spark.sql.shuffle.partitions", "4"), ("spark.default.parallelism", "2")),
        )
    )


class SparkPlatform(Platform):
    """The harness's platform with its tables in a Spark warehouse folder of its own.

    Runs use `WAREHOUSE_URL=spark:///<folder>`; `rows` and `snapshot` read through the
    warehouse seam, naming the columns in the catalog's order (Spark keeps a table's partition
    column last, see `warehouse.spark.layout`).
    """

    def __init__(self, root: Path) -> None:
        self.warehouse_dir = root / "warehouse"
        self.warehouse_dir.mkdir(parents=True, exist_ok=True)
        super().__init__(root)

    @property
    def url(self) -> str:
        return f"spark://{self.warehouse_dir}"

    @property
    def resources(self) -> dict[str, Any]:
        from event_analytics.landing import LandingZoneResource
        from event_analytics.warehouse import WarehouseResource

        return {
            "warehouse": WarehouseResource(url=self.url, spark_conf=TEST_SPARK_CONF),
            "landing": LandingZoneResource(url=str(self.landing_root)),
        }

    def rows(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        """The rows of `sql` (DuckDB's dialect, as every platform query), read through the seam."""
        assert params is None, "positional parameters are DuckDB's: bind $names through the seam"
        with self.resources["warehouse"].connect(read_only=True) as session:
            table = session.fetch_arrow(sql)
        return list(zip(*(column.to_pylist() for column in table.columns), strict=True))

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        with self.resources["warehouse"].connect(read_only=True) as session:
            existing = {t.qualified for t in TABLES if session.table_exists(t)}
        snapshot = {}
        for table in TABLES:
            columns = ", ".join(table.column_names)
            # Names come from the table catalog, never from input.
            query = f"SELECT {columns} FROM {table.qualified}"  # noqa: S608
            rows = self.rows(query) if table.qualified in existing else []
            snapshot[table.qualified] = sorted(rows, key=repr)
        return snapshot
