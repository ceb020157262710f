"""What `make run` prints once the UI answers: where to look, and what is there to see.

The materialized assets come from the instance's own records (`DAGSTER_HOME`), so the banner
says what the UI will show, whoever materialized it (`make materialize`, a sensor, a backfill).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

import dagster as dg

WHOLE = "as a whole"


def day_span(partitions: Iterable[str]) -> str:
    """`2025-01-01 .. 2025-01-07 (7 days)`; gaps are said, not hidden."""
    days = sorted(dt.date.fromisoformat(key) for key in partitions)
    first, last = days[0], days[-1]
    count = len(days)
    if count == 1:
        return f"{first} (1 day)"
    whole = (last - first).days + 1
    gaps = "" if whole == count else f", {whole - count} missing in between"
    return f"{first} .. {last} ({count} days{gaps})"


def materialized(instance: dg.DagsterInstance) -> dict[str, list[str]]:
    """Asset names by what of them is materialized: a span of days, or `WHOLE`."""
    keys = instance.get_asset_keys()
    latest = instance.get_latest_materialization_events(keys)
    groups: dict[str, list[str]] = defaultdict(list)
    for key in keys:
        if latest.get(key) is None:
            continue
        partitions = instance.get_materialized_partitions(key)
        groups[day_span(partitions) if partitions else WHOLE].append(key.to_user_string())
    return {span: sorted(names) for span, names in sorted(groups.items())}


def banner(url: str, instance: dg.DagsterInstance | None) -> str:
    """The lines to print once the UI at `url` answers."""
    lines = [
        "",
        f"Dagster UI: {url}",
        "  Stop with Ctrl-C (or SIGTERM): the webserver, the daemon, the code server and any",
        "  run in flight stop with it (runs are marked canceled).",
    ]
    groups = materialized(instance) if instance is not None else {}
    if groups:
        lines.append("Materialized:")
        lines += [f"  {span}: {', '.join(names)}" for span, names in groups.items()]
    else:
        lines.append("Nothing is materialized yet: the landing zone sensor loads what lands.")
    lines += [
        "Look at: Assets > daily_summary (its figures, checks and freshness), Runs, and",
        "  Automation (landing_zone_sensor, follow_upstream_sensor).",
        "Watch new data flow: `make land` in another terminal writes a new file for today;",
        "  within a minute the sensor loads it and today's daily_summary shows the new figures.",
        "",
    ]
    return "\n".join(lines)
