"""What an incident remembers: every partition, compactly, and cursors written by older code."""

from __future__ import annotations

import datetime as dt
import json

from event_analytics.alerts.partition_keys import label, pack, unpack
from event_analytics.alerts.recovery import pack_items, unpack_items


def days(first: str, count: int) -> list[str]:
    start = dt.date.fromisoformat(first)
    return [(start + dt.timedelta(days=i)).isoformat() for i in range(count)]


def test_consecutive_days_pack_into_ranges_and_nothing_is_lost() -> None:
    keys: set[str | None] = {*days("2024-12-30", 5), "2025-01-09", "2025-02-01"}
    keys |= {*days("2025-02-27", 3), "eu-west", None}
    packed = pack(keys)
    assert packed == [
        None,
        ["2024-12-30", "2025-01-03"],
        "2025-01-09",
        "2025-02-01",
        ["2025-02-27", "2025-03-01"],
        "eu-west",
    ]
    assert unpack(json.loads(json.dumps(packed))) == keys


def test_years_of_days_stay_small() -> None:
    keys = set(days("2020-01-01", 2000))
    packed = pack(keys)
    assert packed == [["2020-01-01", "2025-06-22"]]
    assert unpack(packed) == keys


def test_labels_name_one_key_or_the_span() -> None:
    assert label(["2025-01-03", "2025-01-01"]) == "2025-01-01...2025-01-03"
    assert label(["2025-01-02"]) == "2025-01-02"
    assert label([None]) is None


def test_items_round_trip_and_older_cursors_still_load() -> None:
    items = {("orders", d, None) for d in days("2025-01-01", 120)} | {
        ("orders", "2025-01-02", "orders_balanced"),
        ("ledger", None, None),
    }
    assert unpack_items(json.loads(json.dumps(pack_items(items)))) == items
    # Written by the previous version: one [asset, partition, check] per item, check items of a
    # range run named by its label.
    legacy = [
        ["orders", "2025-01-03", None],
        ["orders", "2025-01-01...2025-01-02", "orders_landed"],
        ["ledger", None, None],
    ]
    assert unpack_items(legacy) == {
        ("orders", "2025-01-03", None),
        ("orders", "2025-01-01", "orders_landed"),
        ("orders", "2025-01-02", "orders_landed"),
        ("ledger", None, None),
    }
