"""The Spark backend through the warehouse seam, against DuckDB's: the same Arrow types and
Python values for the same query, values always bound, windows replaced day by day (a day
left without rows is emptied), a read-only session that refuses writes.

Every test runs on the shared local Spark session (tests/spark_session.py) and a real DuckDB
file; each has a warehouse folder of its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

from event_analytics.warehouse import DayWindow, Warehouse, WarehouseResource
from event_analytics.warehouse.tables import DAILY_SUMMARY, RAW_EVENTS

pytestmark = pytest.mark.usefixtures("spark")

EVENTS = pa.table(
    {
        "event_id": ["a", "b", "c", "it's"],
        "user_id": ["u1", None, "u1", "u2"],
        "event_type": ["purchase", "page_view", "purchase", "purchase"],
        "occurred_at": [
            dt.datetime(2025, 1, 1, 23, 59, 59, 999999),
            dt.datetime(2025, 1, 2, 0, 0),
            dt.datetime(2025, 1, 2, 12, 30, 0, 1),
            dt.datetime(2025, 1, 3, 0, 0, 0, 5),
        ],
        "event_date": [
            dt.date(2025, 1, 1),
            dt.date(2025, 1, 2),
            dt.date(2025, 1, 2),
            dt.date(2025, 1, 3),
        ],
        "revenue": pa.array(
            [Decimal("99999999999999.9999"), Decimal("0"), Decimal("0.0001"), Decimal("12.5")],
            pa.decimal128(18, 4),
        ),
        "properties": ['{"k": [1, 2]}', None, "{}", '{"q": "\\u00e9"}'],
        "extra": [None, None, '{"x": 1}', None],
        "source_file": ["events/date=2025-01-01/a.jsonl"] * 4,
        "source_line": pa.array([1, 2, 3, 4], pa.int64()),
    }
)

FIGURES = """
SELECT event_date AS day,
       count(*) AS events,
       count(DISTINCT user_id) AS users,
       CAST(sum(revenue) AS DECIMAL(38,4)) AS revenue,
       min(occurred_at) AS first_at,
       max(revenue) AS top,
       min(event_id) AS first_id,
       max(properties) AS props
FROM raw.events
WHERE occurred_at >= $start AND occurred_at < $end
GROUP BY event_date
ORDER BY day
"""


@contextmanager
def _both(tmp_path: Path) -> Iterator[tuple[Warehouse, Warehouse]]:
    (tmp_path / "spark").mkdir()
    duck = WarehouseResource(url=f"duckdb:///{tmp_path / 'w.duckdb'}")
    spark = WarehouseResource(url=f"spark://{tmp_path / 'spark'}")
    with duck.connect() as on_duck, spark.connect() as on_spark:
        for session in (on_duck, on_spark):
            session.create_tables(RAW_EVENTS, DAILY_SUMMARY)
            session.append(RAW_EVENTS, EVENTS)
        yield on_duck, on_spark


def test_the_same_query_gives_the_same_arrow_types_and_python_values(tmp_path: Path) -> None:
    params = {"start": dt.datetime(2025, 1, 1), "end": dt.datetime(2025, 1, 4)}
    with _both(tmp_path) as (duck, spark):
        on_duck, on_spark = duck.fetch_arrow(FIGURES, params), spark.fetch_arrow(FIGURES, params)
        assert on_spark.schema.field("day").type == on_duck.schema.field("day").type
        for name in ("events", "users", "revenue", "first_at", "top", "first_id", "props"):
            assert on_spark.schema.field(name).type == on_duck.schema.field(name).type, name
        assert spark.fetch_dicts(FIGURES, params) == duck.fetch_dicts(FIGURES, params)
        [first, *_] = spark.fetch_dicts(FIGURES, params)
        assert first["revenue"] == Decimal("99999999999999.9999")  # exact, never a float
        assert first["first_at"] == dt.datetime(2025, 1, 1, 23, 59, 59, 999999)


def test_values_are_bound_never_formatted_into_the_sql(tmp_path: Path) -> None:
    query = "SELECT event_id FROM raw.events WHERE event_id = $id ORDER BY event_id"
    with _both(tmp_path) as (duck, spark):
        for session in (duck, spark):
            assert session.fetch_dicts(query, {"id": "it's"}) == [{"event_id": "it's"}]
            assert session.fetch_dicts(query, {"id": "x' OR '1'='1"}) == []


def test_replacing_a_window_empties_a_day_the_query_has_no_rows_for(tmp_path: Path) -> None:
    summary = (
        "SELECT event_date AS date, count(*) AS events, count(DISTINCT user_id) AS active_users,"
        " count(*) AS purchases, CAST(sum(revenue) AS DECIMAL(38,4)) AS revenue"
        " FROM raw.events WHERE event_date >= CAST($window_start AS DATE)"
        " AND event_date < CAST($window_end AS DATE) AND event_type = 'purchase'"
        " GROUP BY event_date"
    )
    read = "SELECT date, events FROM analytics.daily_summary ORDER BY date"
    with _both(tmp_path) as (duck, spark):
        for session in (duck, spark):
            with session.transaction():
                session.replace_window(
                    DAILY_SUMMARY, summary, DayWindow.of_days(dt.date(2025, 1, 1), 3)
                )
        assert spark.fetch_dicts(read) == duck.fetch_dicts(read)
        assert [r["date"].day for r in spark.fetch_dicts(read)] == [1, 2, 3]
        # Day 2 has no purchase any more: the replace must empty it, and leave days 1 and 3.
        no_purchase = summary.replace("'purchase'", "'refund'")
        for session in (duck, spark):
            with session.transaction():
                session.replace_window(
                    DAILY_SUMMARY, no_purchase, DayWindow.of_days(dt.date(2025, 1, 2))
                )
        assert spark.fetch_dicts(read) == duck.fetch_dicts(read)
        assert [r["date"].day for r in spark.fetch_dicts(read)] == [1, 3]


def test_a_read_only_session_refuses_writes(tmp_path: Path) -> None:
    with _both(tmp_path):
        pass
    reader = WarehouseResource(url=f"spark://{tmp_path / 'spark'}")
    with reader.connect(read_only=True) as session:
        assert session.fetch_dicts("SELECT count(*) AS n FROM raw.events") == [{"n": 4}]
        with pytest.raises(PermissionError, match="read-only"):
            session.execute("DELETE FROM raw.events")
        with pytest.raises(PermissionError, match="read-only"):
            session.append(RAW_EVENTS, EVENTS)


def test_tables_lie_in_sparks_standard_layout(tmp_path: Path) -> None:
    with _both(tmp_path):
        pass
    days = sorted(p.name for p in (tmp_path / "spark" / "raw.db" / "events").glob("event_date=*"))
    assert days == ["event_date=2025-01-01", "event_date=2025-01-02", "event_date=2025-01-03"]
    assert list((tmp_path / "spark" / "raw.db" / "events").rglob("*.parquet"))
