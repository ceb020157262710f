"""Watch the landing zone and load each day whose files appeared, changed or disappeared.

Late data is the rule, not the exception: a file that lands in last week's folder requests
last week's partition. Downstream assets then follow through their automation condition.
"""

import datetime as dt
import hashlib
import json

import dagster as dg

from event_analytics.landing import LandingZoneResource
from event_analytics.partitions import daily_partitions

# A first tick over years of history must not enqueue thousands of runs at once; the rest
# follow on the next ticks (the cursor only advances for days actually requested).
MAX_RUNS_PER_TICK = 50


def day_fingerprint(landing: LandingZoneResource, day_key: str) -> str:
    """A short digest of a day folder's file names, sizes and modification times."""
    listing = landing.fingerprint(dt.date.fromisoformat(day_key))
    return hashlib.sha256(listing.encode()).hexdigest()[:16]


@dg.sensor(
    target=dg.AssetSelection.assets("raw_events"),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
)
def landing_zone_sensor(
    context: dg.SensorEvaluationContext, landing: LandingZoneResource
) -> dg.SensorResult:
    """Requests `raw_events` for every day whose landing folder changed since the last tick."""
    landing.check_configuration()  # a missing root is an error tick in the UI, not "no data"
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    valid_keys = set(daily_partitions.get_partition_keys())
    day_keys = sorted({d.isoformat() for d in landing.list_days()} | seen.keys())
    requests: list[dg.RunRequest] = []
    for key in day_keys:
        if key not in valid_keys:
            context.log.warning(
                f"Landing folder date={key} is outside the partitions "
                f"({daily_partitions.start.date()} to today): not loaded."
            )
            continue
        fingerprint = day_fingerprint(landing, key)
        if seen.get(key) == fingerprint:
            continue
        if len(requests) >= MAX_RUNS_PER_TICK:
            context.log.info("More changed days than one tick requests; the rest follow.")
            break
        requests.append(dg.RunRequest(partition_key=key, run_key=f"{key}:{fingerprint}"))
        seen[key] = fingerprint
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(seen, sort_keys=True))
