"""Materialization metadata helpers: numbers the UI can plot, and small previews."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import dagster as dg

_PREVIEW_ROWS = 10


def _cell(value: Any) -> str | int | float | bool | None:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return str(value)  # exact text, never a binary float
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, float):
        return value
    return str(value)


def preview(rows: Sequence[dict[str, Any]], limit: int = _PREVIEW_ROWS) -> dg.MetadataValue:
    """A small table of rows for the asset's page in the UI."""
    head = list(rows[:limit])
    columns = list(head[0].keys()) if head else []
    schema = dg.TableSchema(columns=[dg.TableColumn(name=c, type="string") for c in columns])
    records = [dg.TableRecord({c: _cell(row[c]) for c in columns}) for row in head]
    return dg.MetadataValue.table(records=records, schema=schema)


def money(value: Decimal) -> dict[str, dg.MetadataValue]:
    """Revenue twice: exact text for reading, and a float only so the UI can plot it."""
    return {
        "revenue": dg.MetadataValue.float(float(value)),
        "revenue_exact": dg.MetadataValue.text(f"{value:.4f}"),
    }


def column_schema(columns: Sequence[tuple[str, str, str]]) -> dg.TableSchema:
    """A table schema from `(name, type, description)` triples."""
    return dg.TableSchema(
        columns=[dg.TableColumn(name=n, type=t, description=d) for n, t, d in columns]
    )
