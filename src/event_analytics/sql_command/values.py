"""What each value of a result looks like in JSON, in CSV and in a table for people.

Values arrive as Arrow converted to Python (`Table.to_pylist` types), the same from every
backend. The rules, the same in every format: decimals are exact text (`12.3400`, never a
float, in JSON a string so that no reader rounds them); dates, times and timestamps are ISO
8601; intervals are ISO 8601 durations (`P1M3DT1.5S`); bytes are hex (`\\x0a1b`, as PostgreSQL
prints them); lists and structs are JSON arrays and objects. Only the table tells NULL apart
from text: it shows `NULL`, JSON has `null`, CSV an empty field.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pyarrow as pa

_NON_FINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}
# Characters that would break a table's line: shown escaped, as Python and DuckDB spell them.
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def json_value(value: Any) -> Any:
    """`value` as JSON can hold it exactly (`json.dumps` writes the result)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        # JSON has no NaN or infinity: their names, as JavaScript spells them.
        return value if math.isfinite(value) else _NON_FINITE[repr(value)]
    if isinstance(value, dict):
        return {str(key): json_value(item) for key, item in value.items()}
    if isinstance(value, pa.MonthDayNano):  # a tuple too: tested before lists
        return _interval(value.months, value.days, value.nanoseconds)
    if isinstance(value, list | tuple):
        return [json_value(item) for item in value]
    return scalar_text(value)


def scalar_text(value: Any) -> str:
    """A scalar that JSON has no type for, as exact text."""
    if isinstance(value, Decimal):
        return format(value, "f")  # never an exponent: 1E+3 is 1000
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return _interval(0, value.days, (value.seconds * 10**6 + value.microseconds) * 1000)
    if isinstance(value, bytes):
        return "\\x" + value.hex()
    return str(value)  # UUIDs and anything else a driver may give


def csv_value(value: Any) -> str:
    """`value` in a CSV field: empty for NULL, nested values as JSON text."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    converted = json_value(value)
    if isinstance(converted, str):
        return converted
    return json.dumps(converted, ensure_ascii=False)


def cell_text(value: Any) -> str:
    """`value` in a table cell, on one line (`None` is for the caller to show as NULL)."""
    if isinstance(value, datetime):
        text = value.isoformat(sep=" ")
    elif isinstance(value, str):
        text = value
    else:
        text = csv_value(value)
    return "".join(_visible(char) for char in text)


def _visible(char: str) -> str:
    """A control character (a line break, a terminal's escape) as an escape; others as is."""
    if char in _ESCAPES:
        return _ESCAPES[char]
    return f"\\x{ord(char):02x}" if char < " " or char == "\x7f" else char


def _interval(months: int, days: int, nanoseconds: int) -> str:
    """An interval as an ISO 8601 duration, seconds exact (`P1M3DT1.5S`; nothing is `PT0S`)."""
    seconds = format(Decimal(nanoseconds).scaleb(-9).normalize(), "f")
    date_part = (f"{months}M" if months else "") + (f"{days}D" if days else "")
    time_part = f"T{seconds}S" if nanoseconds else ""
    return f"P{date_part}{time_part}" if date_part or time_part else "PT0S"
