"""Per-day check results: every check reports each day of its window on its own.

A range run (a single-run backfill) checks many days at once, but people ask about one day:
"is 2025-01-02 good?". So every check of the platform yields one evaluation per day, carrying
that day as its partition and metadata about that day only. The UI shows each day's own
result, and the check-failure alert opens and resolves its incidents per day, whichever run
(a range, or the day alone) evaluated it. Range runs never read `context.partition_key`: the
days come from the partition window.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

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


def per_day_evaluations(
    context: dg.AssetCheckExecutionContext, spec: dg.AssetCheckSpec, results: Iterable[DayResult]
) -> Evaluations:
    """One evaluation per day for `spec`, then the output Dagster requires of the check's step.

    A failed blocking evaluation with ERROR severity still fails the step and skips what is
    downstream: Dagster collects the evaluations of the step, whatever form they take.
    """
    for result in results:
        yield dg.AssetCheckEvaluation(
            asset_key=spec.asset_key,
            check_name=spec.name,
            passed=result.passed,
            severity=result.severity,
            description=result.description,
            metadata=dict(result.metadata),
            partition=result.day.isoformat(),
            blocking=spec.blocking,
        )
    # Every check of a check op has an output the step must produce; reporting through
    # evaluations does not produce it, so it is yielded once, empty.
    assets_def = context.op_execution_context.assets_def
    yield dg.Output(None, output_name=assets_def.get_output_name_for_asset_check_key(spec.key))
