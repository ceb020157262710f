"""Retry a step when the warehouse failed for a passing reason, never for a data error."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from event_analytics.warehouse.errors import is_transient

MAX_RETRIES = 3
BASE_DELAY_SECONDS = 2.0
MAX_DELAY_SECONDS = 60.0


def retry_delay(attempt: int) -> float:
    """Exponential backoff with full jitter: spreads retries of runs that failed together."""
    ceiling = min(MAX_DELAY_SECONDS, BASE_DELAY_SECONDS * 2**attempt)
    return random.uniform(ceiling / 2, ceiling)


@contextmanager
def retry_transient_errors(
    context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext,
) -> Iterator[None]:
    """Turn a transient warehouse error into a Dagster retry of the whole step.

    The step's write is one transaction, so a retry starts from a clean slate. Data errors
    (bad SQL, a failed cast, a constraint) propagate: retrying would fail the same way.
    """
    try:
        yield
    except Exception as error:
        if not is_transient(error):
            raise
        delay = retry_delay(context.retry_number)
        context.log.warning(
            f"Transient warehouse error ({type(error).__name__}); "
            f"retry {context.retry_number + 1} of {MAX_RETRIES} in {delay:.1f}s"
        )
        raise dg.RetryRequested(max_retries=MAX_RETRIES, seconds_to_wait=delay) from error
