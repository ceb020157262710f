"""The command's options and their defaults, importable without Dagster or Arrow: the command
line builds its parser from them for every subcommand, and stays quick."""

from __future__ import annotations

import enum


class Format(enum.StrEnum):
    """How the rows are printed."""

    TABLE = "table"  # for people: rich on a terminal, plain aligned text otherwise
    JSONL = "jsonl"  # one JSON object per row
    CSV = "csv"  # a header, then one record per row


#: Rows a person sees by default: enough to read, few enough that a query of a whole table
#: answers at once. `--limit 0` shows all; JSON lines and CSV have no default limit.
TABLE_ROW_LIMIT = 100
