"""Which warehouse errors a retry can cure: a lock held elsewhere, a dropped connection.

Data errors (a failed cast, a constraint, bad SQL) never are. Each backend knows its own
transient errors; a backend whose driver was never imported cannot have raised one, so its
rules are only consulted when its module is loaded.
"""

from __future__ import annotations

import sys


def is_transient(error: BaseException) -> bool:
    """True for errors a retry can cure."""
    for module in ("duckdb_backend", "postgres_backend", "spark_backend"):
        backend = sys.modules.get(f"event_analytics.warehouse.{module}")
        if backend is not None and backend.is_transient(error):
            return True
    return isinstance(error, ConnectionError | TimeoutError)
