"""Watch the landing zone and load each day whose files appeared, changed or disappeared, until
it is loaded.

Late data is the rule, not the exception: a file that lands in last week's folder requests
last week's partition. Downstream assets then follow through their automation condition.

Each tick fingerprints every day folder (file names, sizes, modification times) and, for a day
whose digest is not the one the cursor has settled:

- if the latest `raw_events` materialization of the day recorded this digest, the day is
  loaded as it is now (by `make materialize`, a backfill, an earlier request): nothing to do,
  whatever the cursor said;
- if the folder is new or changed, the day is requested (attempt 1);
- if the day's request is still open, its run decides: queued or running is waited for;
  failed or canceled is requested again after a growing delay, up to
  `LANDING_LOAD_MAX_ATTEMPTS` runs, then given up (with one error in the log) until the folder
  changes. See `event_analytics.automation.load_retries`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time

import dagster as dg

from event_analytics.automation.landing_cursor import LandingCursor
from event_analytics.automation.load_retries import (
    LoadRequest,
    LoadRetryPolicy,
    Verdict,
    next_step,
)
from event_analytics.automation.run_history import latest_run, loaded_digest
from event_analytics.landing import LandingZoneResource
from event_analytics.partitions import daily_partitions

# A first tick over years of history must not enqueue thousands of runs at once; the rest
# follow on the next ticks (the cursor only advances for days actually looked at).
MAX_RUNS_PER_TICK = 50


class _Tick:
    """One evaluation: the cursor being updated and the run requests being collected."""

    def __init__(self, context: dg.SensorEvaluationContext, cursor: LandingCursor) -> None:
        self.context, self.cursor = context, cursor
        self.policy = LoadRetryPolicy.from_settings()
        self.now = time.time()
        self.requests: list[dg.RunRequest] = []

    def consider(self, day: str, digest: str) -> None:
        """Decide about one day folder whose digest is `digest` now."""
        if self.cursor.settled.get(day) == digest:
            return
        # Only days not settled at this digest get here, so this lookup is paid by changes,
        # not by history.
        if loaded_digest(self.context.instance, day) == digest:
            self.cursor.settle(day, digest)
            return
        previous = self.cursor.requests.get(day)
        if previous is None or previous.digest != digest:
            self._request(day, LoadRequest.first(day, digest, self.now), retry_of=None)
        else:
            self._follow_up(day, previous)

    def _follow_up(self, day: str, previous: LoadRequest) -> None:
        step = next_step(
            previous, latest_run(self.context.instance, previous.run_key), self.now, self.policy
        )
        if step.verdict is Verdict.SUCCEEDED:
            self.cursor.settle(day, previous.digest)
        elif step.verdict is Verdict.RETRY:
            retry = previous.retry(day, self.now)
            left = self.policy.max_attempts - retry.attempt
            self.context.log.warning(
                f"Loading again: attempt {retry.attempt} of {self.policy.max_attempts} for "
                f"{day}, because {step.why}; {left} attempt{'' if left == 1 else 's'} left "
                "after this one."
            )
            self._request(day, retry, retry_of=step.failed_run_id)
        elif step.verdict is Verdict.GIVE_UP:
            self.context.log.error(
                f"raw_events for {day} failed {previous.attempt} times (last: {step.why}): "
                "given up until its landing folder changes. Fix the cause, then materialize "
                "the day by hand or touch a file in its folder."
            )
            self.cursor.record(day, dataclasses.replace(previous, given_up=True))

    def _request(self, day: str, request: LoadRequest, retry_of: str | None) -> None:
        self.requests.append(
            dg.RunRequest(partition_key=day, run_key=request.run_key, tags=request.tags(retry_of))
        )
        self.cursor.record(day, request)


def _read_cursor(context: dg.SensorEvaluationContext) -> LandingCursor:
    try:
        return LandingCursor.from_json(context.cursor)
    except ValueError as error:
        # Starting afresh is safe: every day is compared with what run history loaded.
        context.log.warning(f"Starting from an empty cursor: the stored one is {error}.")
        return LandingCursor()


@dg.sensor(
    target=dg.AssetSelection.assets("raw_events"),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
)
def landing_zone_sensor(
    context: dg.SensorEvaluationContext, landing: LandingZoneResource
) -> dg.SensorResult:
    """Requests `raw_events` for every day whose landing folder is not loaded as it is now,
    again (a bounded number of times) when that load fails."""
    landing.check_configuration()  # a missing root is an error tick in the UI, not "no data"
    cursor = _read_cursor(context)
    tick = _Tick(context, cursor)
    valid_keys = set(daily_partitions.get_partition_keys())
    for day in sorted({d.isoformat() for d in landing.list_days()} | cursor.days()):
        if day not in valid_keys:
            context.log.warning(
                f"Landing folder date={day} is outside the partitions "
                f"({daily_partitions.start.date()} to today): not loaded."
            )
            continue
        if len(tick.requests) >= MAX_RUNS_PER_TICK:
            context.log.info("More days to load than one tick requests; the rest follow.")
            break
        tick.consider(day, landing.digest(dt.date.fromisoformat(day)))
    return dg.SensorResult(run_requests=tick.requests, cursor=cursor.to_json())
