"""When the landing sensor requests a day's load again: after its run failed, a few times, later
each time.

A request is identified by the day, the folder's digest when it was made and its attempt
number; its run key says all three, so each attempt is a new run and no attempt is skipped as
a duplicate. Nothing here talks to Dagster: the sensor looks the run up and hands the outcome
to `next_step`, which is a pure function of it and the clock.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import dagster as dg

from event_analytics.settings import landing_load_max_attempts, landing_retry_base_seconds

#: Run tag: which attempt at loading the day's folder (as the sensor saw it) this run is.
LOAD_ATTEMPT_TAG = "event_analytics/load_attempt"
#: Run tag on a retry: the id of the failed run it replaces.
RETRY_OF_TAG = "event_analytics/retry_of"

# However many attempts are allowed, a day waits at most an hour between two of them (unless
# the base delay itself is longer), so a long retry budget still converges within a day.
MAX_DELAY_SECONDS = 3600.0

_FAILED = frozenset({dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED})


@dataclass(frozen=True)
class LoadRetryPolicy:
    """How many runs a day folder gets (the first included), and the wait after a failure."""

    max_attempts: int
    base_seconds: float

    @classmethod
    def from_settings(cls) -> LoadRetryPolicy:
        """From `LANDING_LOAD_MAX_ATTEMPTS` and `LANDING_RETRY_BASE_SECONDS`; raises
        `ValueError` naming the variable when one is not usable."""
        return cls(landing_load_max_attempts(), landing_retry_base_seconds())

    def delay_after(self, attempt: int) -> float:
        """Seconds to wait after attempt `attempt` failed: base, 2 x base, 4 x base, ..."""
        doubled = self.base_seconds * 2 ** min(attempt - 1, 32)
        return min(doubled, max(self.base_seconds, MAX_DELAY_SECONDS))


@dataclass(frozen=True)
class LoadRequest:
    """A run the sensor requested for a day: the folder digest it saw, which attempt, the run
    key it used and when (seconds since the epoch). `given_up` once the last attempt failed."""

    digest: str
    attempt: int
    run_key: str
    requested_at: float
    given_up: bool = False

    @classmethod
    def first(cls, day: str, digest: str, now: float) -> LoadRequest:
        return cls(digest, 1, run_key(day, digest, 1), now)

    def retry(self, day: str, now: float) -> LoadRequest:
        attempt = self.attempt + 1
        return LoadRequest(self.digest, attempt, run_key(day, self.digest, attempt), now)

    def tags(self, retry_of: str | None) -> dict[str, str]:
        """The run's tags: the attempt, and the run it retries."""
        tags = {LOAD_ATTEMPT_TAG: str(self.attempt)}
        if retry_of:
            tags[RETRY_OF_TAG] = retry_of
        return tags


def run_key(day: str, digest: str, attempt: int) -> str:
    """`<day>:<digest>` for a first attempt (the key the sensor has always used), then
    `<day>:<digest>:attempt-<n>`."""
    return f"{day}:{digest}" if attempt == 1 else f"{day}:{digest}:attempt-{attempt}"


@dataclass(frozen=True)
class RunOutcome:
    """The latest run with a request's run key: its id, status and when it ended (epoch s)."""

    run_id: str
    status: dg.DagsterRunStatus
    ended_at: float | None


class Verdict(enum.Enum):
    WAIT = "wait"  # the run is queued or running, or the retry delay has not passed
    SUCCEEDED = "succeeded"  # the request's run succeeded: nothing more to do at this digest
    RETRY = "retry"  # request the day again, as the next attempt
    GIVE_UP = "give_up"  # the last attempt failed: say so, once
    GIVEN_UP = "given_up"  # said already; wait for the folder to change


@dataclass(frozen=True)
class NextStep:
    verdict: Verdict
    why: str = ""  # what happened to the previous attempt, for the log
    failed_run_id: str | None = None


def next_step(
    request: LoadRequest, run: RunOutcome | None, now: float, policy: LoadRetryPolicy
) -> NextStep:
    """What to do about a day whose folder is still as `request` saw it and that is not loaded
    at that digest, given the latest run with the request's run key (None: none exists)."""
    if request.given_up:
        return NextStep(Verdict.GIVEN_UP)
    if run is None:
        # The daemon creates a request's run before the sensor's next tick, so a missing run
        # was deleted or never launched: a lost attempt, retried like a failed one.
        ended_at, why, failed = request.requested_at, "its run is not in the run history", None
    elif run.status == dg.DagsterRunStatus.SUCCESS:
        return NextStep(Verdict.SUCCEEDED)
    elif run.status not in _FAILED:
        return NextStep(Verdict.WAIT)
    else:
        ended_at = run.ended_at if run.ended_at is not None else request.requested_at
        why, failed = f"run {run.run_id} ended {run.status.value}", run.run_id
    if request.attempt >= policy.max_attempts:
        return NextStep(Verdict.GIVE_UP, why, failed)
    if now < ended_at + policy.delay_after(request.attempt):
        return NextStep(Verdict.WAIT)
    return NextStep(Verdict.RETRY, why, failed)
