"""Per-day check results: every check reports each day of its window on its own.

A range run (a single-run backfill) checks many days at once, but people ask about one day:
"is 2025-01-02 good?". So every check of the platform yields one evaluation per day, carrying
that day as its partition and metadata about that day only. The UI shows each day's own
result, and the check-failure alert opens and resolves its incidents per day, whichever run
(a range, or the day alone) evaluated it. Range runs never read `context.partition_key`: the
days come from the partition window. Past `PER_DAY_RESULTS_MAX_DAYS` (a long backfill) each
check reports once for the whole range instead, with its failing days listed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from event_analytics.alerts.dagster_internals import materializations_checked

Evaluations = Iterator[dg.AssetCheckEvaluation | dg.Output[None]]


@dataclass(frozen=True)
class DayResult:
    """One check's verdict on one UTC day, with figures about that day only."""

    day: dt.date
    passed: bool
    description: str
    metadata: Mapping[str, Any] = field(default_factory=dict)
    # WARN is "worth a look, not worth a page": the alert sensor logs it and sends nothing.
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR


# A range of more days than this (a long backfill) is reported once per check, for the whole
# range, with its failing days listed: every evaluation is an event in the instance's storage,
# and on the default SQLite storage each costs about 10-20 ms, which one check per day of a
# year-long backfill turns into minutes (docs/performance.md). Months and shorter ranges, the
# daily runs and `make run`'s week get one result per day.
PER_DAY_RESULTS_MAX_DAYS = 31
_LISTED_DAYS = 20


def per_day_evaluations(
    context: dg.AssetCheckExecutionContext, spec: dg.AssetCheckSpec, results: Iterable[DayResult]
) -> Evaluations:
    """One evaluation per day for `spec` (one for the whole range past
    `PER_DAY_RESULTS_MAX_DAYS`), then the output Dagster requires of the check's step.

    A failed blocking evaluation with ERROR severity still fails the step and skips what is
    downstream: Dagster collects the evaluations of the step, whatever form they take.
    """
    days = list(results)
    if len(days) <= PER_DAY_RESULTS_MAX_DAYS:
        # Each result names the day's materialization it judged: without it the UI counts no
        # day's result as current, and shows the check as not evaluated on every day.
        checked = materializations_checked(
            context.instance, spec.asset_key, [result.day.isoformat() for result in days]
        )
        for result in days:
            day = result.day.isoformat()
            yield _evaluation(spec, result, partition=day, target=checked.get(day))
    else:
        yield _evaluation(spec, _whole_range(days), partition=None)
    # Every check of a check op has an output the step must produce; reporting through
    # evaluations does not produce it, so it is yielded once, empty.
    assets_def = context.op_execution_context.assets_def
    yield dg.Output(None, output_name=assets_def.get_output_name_for_asset_check_key(spec.key))


def _evaluation(
    spec: dg.AssetCheckSpec, result: DayResult, partition: str | None, target: Any = None
) -> dg.AssetCheckEvaluation:
    return dg.AssetCheckEvaluation(
        asset_key=spec.asset_key,
        check_name=spec.name,
        passed=result.passed,
        severity=result.severity,
        description=result.description,
        metadata=dict(result.metadata),
        partition=partition,
        blocking=spec.blocking,
        target_materialization_data=target,
    )


def _whole_range(days: list[DayResult]) -> DayResult:
    """A long range's days as one result: failed if any day failed, at the gravest severity
    among the failing days; the failing days are listed in the metadata."""
    failing = [d for d in days if not d.passed]
    first, last = days[0].day.isoformat(), days[-1].day.isoformat()
    listed = ", ".join(f"{d.day.isoformat()}: {d.description}" for d in failing[:_LISTED_DAYS])
    errors = any(d.severity == dg.AssetCheckSeverity.ERROR for d in failing)
    return DayResult(
        day=days[0].day,
        passed=not failing,
        description=(
            f"{len(failing)} of {len(days)} days failed ({first} to {last}): {listed}"
            if failing
            else f"all {len(days)} days passed ({first} to {last})"
        ),
        metadata={
            "days": dg.MetadataValue.int(len(days)),
            "failing_days": dg.MetadataValue.json([d.day.isoformat() for d in failing]),
        },
        severity=dg.AssetCheckSeverity.ERROR
        if errors or not failing
        else dg.AssetCheckSeverity.WARN,
    )
