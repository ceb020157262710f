"""Watch the landing zone and load each day whose files appeared, changed or disappeared.

Late data is the rule, not the exception: a file that lands in last week's folder requests
last week's partition. Downstream assets then follow through their automation condition.

The cursor remembers each day folder's digest (file names, sizes, modification times). A day
the cursor does not know yet (the first tick, after `make materialize`, or after a cursor
reset) is compared with the digest its latest `raw_events` materialization recorded, so days
already loaded as they are now are not loaded again.
"""

import datetime as dt
import json

import dagster as dg

from event_analytics.landing import LANDING_DIGESTS, LandingZoneResource
from event_analytics.partitions import daily_partitions

# A first tick over years of history must not enqueue thousands of runs at once; the rest
# follow on the next ticks (the cursor only advances for days actually requested).
MAX_RUNS_PER_TICK = 50


RAW_EVENTS = dg.AssetKey("raw_events")


def loaded_digest(instance: dg.DagsterInstance, day_key: str) -> str | None:
    """The folder digest the latest `raw_events` materialization of `day_key` loaded."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=RAW_EVENTS, asset_partitions=[day_key]), limit=1
    ).records
    materialization = records[0].asset_materialization if records else None
    if materialization is None:
        return None
    recorded = materialization.metadata.get(LANDING_DIGESTS)
    digests = recorded.value if isinstance(recorded, dg.JsonMetadataValue) else None
    digest = digests.get(day_key) if isinstance(digests, dict) else None
    return digest if isinstance(digest, str) else None


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
        fingerprint = landing.digest(dt.date.fromisoformat(key))
        if seen.get(key) == fingerprint:
            continue
        if key not in seen and loaded_digest(context.instance, key) == fingerprint:
            seen[key] = fingerprint  # loaded as it is now, before this cursor knew the day
            continue
        if len(requests) >= MAX_RUNS_PER_TICK:
            context.log.info("More changed days than one tick requests; the rest follow.")
            break
        requests.append(dg.RunRequest(partition_key=key, run_key=f"{key}:{fingerprint}"))
        seen[key] = fingerprint
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(seen, sort_keys=True))
