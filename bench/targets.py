"""The performance targets of issue 9 ("A million events in seconds", item 4), judged.

On the project's 2-core machine:

* end to end at least :data:`SPEEDUP_MIN` times the pandas approach's speed at 2M and 5M
  events (pandas' wall time / the project's);
* peak RSS of the project's process tree under :data:`RSS_MAX_BYTES` at 20M events;
* the landing-line validator alone within :data:`VALIDATOR_VS_LENIENT_MAX` times the lenient
  load's compute (item 2; judged at every size run);
* the three assets' compute within :data:`COMPUTE_VS_FLOOR_MAX` times the scan floor's (judged
  at every size run);
* under :data:`ORCHESTRATION_MAX_S` of orchestration per partition in the 365-day single-run
  backfill ((wall - asset compute) / days).

A target whose size or scenario was not part of the run is ``NOT RUN``, with what it needs.
A MISS never fails the bench: it measures; the figures are for people to act on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bench.data import format_size
from bench.results import LENIENT_LOAD, PANDAS, PROJECT, SCAN_FLOOR, VALIDATOR, BenchResults

SPEEDUP_MIN = 4.0
SPEEDUP_SIZES = (2_000_000, 5_000_000)
RSS_MAX_BYTES = 1_500_000_000
RSS_SIZE = 20_000_000
COMPUTE_VS_FLOOR_MAX = 6.0
VALIDATOR_VS_LENIENT_MAX = 3.0
ORCHESTRATION_MAX_S = 0.1
BACKFILL_TARGET_DAYS = 365

Status = Literal["PASS", "MISS", "NOT RUN"]


@dataclass(frozen=True)
class Target:
    """A target, its verdict, and what was measured (``measured`` in ``unit``)."""

    name: str
    goal: str
    status: Status
    measured: float | None = None
    unit: str = ""
    detail: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "goal": self.goal,
            "status": self.status,
            "measured": self.measured,
            "unit": self.unit,
            "detail": self.detail,
        }


def evaluate(results: BenchResults) -> list[Target]:
    """Every target of item 4 against ``results``."""
    targets = [_speedup(results, size) for size in SPEEDUP_SIZES]
    targets.append(_memory(results))
    targets.extend(_compute_vs_floor(results))
    targets.extend(_validator_vs_lenient(results))
    targets.append(_orchestration(results))
    return targets


def _verdict(ok: bool) -> Status:
    return "PASS" if ok else "MISS"


def _speedup(results: BenchResults, events: int) -> Target:
    label = _label(events)
    name = f"speed vs pandas at {label}"
    goal = f">= {SPEEDUP_MIN:g}x pandas' speed, end to end"
    size = results.size(events)
    if size is None or PROJECT not in size.contenders or PANDAS not in size.contenders:
        return Target(name, goal, "NOT RUN", detail=f"needs pandas and project at SIZES={label}")
    ratio = size.ratios(PROJECT)["speed_vs_pandas"]
    assert ratio is not None
    return Target(name, goal, _verdict(ratio >= SPEEDUP_MIN), ratio, "x")


def _memory(results: BenchResults) -> Target:
    label = _label(RSS_SIZE)
    name = f"peak RSS at {label}"
    goal = f"< {RSS_MAX_BYTES / 1e9:g} GB, the project's process tree"
    size = results.size(RSS_SIZE)
    if size is None or PROJECT not in size.contenders:
        return Target(name, goal, "NOT RUN", detail=f"needs the project at SIZES={label}")
    peak = size.contenders[PROJECT].peak_rss_bytes
    detail = f"{peak / RSS_MAX_BYTES:.2f}x the limit"
    return Target(name, goal, _verdict(peak < RSS_MAX_BYTES), peak / 1e9, "GB", detail)


def _compute_vs_floor(results: BenchResults) -> list[Target]:
    goal = f"<= {COMPUTE_VS_FLOOR_MAX:g}x the scan floor's compute (the three asset steps)"
    return _ratio_targets(
        results,
        PROJECT,
        SCAN_FLOOR,
        "compute_vs_scan_floor",
        COMPUTE_VS_FLOOR_MAX,
        "asset compute vs scan floor",
        goal,
        "needs the project and scan_floor at some size",
    )


def _validator_vs_lenient(results: BenchResults) -> list[Target]:
    goal = f"<= {VALIDATOR_VS_LENIENT_MAX:g}x the lenient load's compute (the validator alone)"
    return _ratio_targets(
        results,
        VALIDATOR,
        LENIENT_LOAD,
        "compute_vs_lenient_load",
        VALIDATOR_VS_LENIENT_MAX,
        "validator vs lenient load",
        goal,
        "needs the validator and lenient_load at some size",
    )


def _ratio_targets(
    results: BenchResults,
    contender: str,
    baseline: str,
    ratio: str,
    limit: float,
    name: str,
    goal: str,
    needs: str,
) -> list[Target]:
    """`contender`'s `ratio` against `baseline` at every size that ran both, at most `limit`."""
    judged = [s for s in results.sizes if contender in s.contenders and baseline in s.contenders]
    if not judged:
        return [Target(name, goal, "NOT RUN", detail=needs)]
    targets = []
    for size in judged:
        value = size.ratios(contender)[ratio]
        assert value is not None
        targets.append(
            Target(f"{name} at {size.label}", goal, _verdict(value <= limit), value, "x")
        )
    return targets


def _orchestration(results: BenchResults) -> Target:
    name = f"orchestration per partition, {BACKFILL_TARGET_DAYS}-day backfill"
    goal = f"< {ORCHESTRATION_MAX_S:g} s per partition"
    backfill = results.backfill
    if backfill is None:
        return Target(name, goal, "NOT RUN", detail="not measured: the backfill did not run")
    seconds = backfill.orchestration_per_partition_s
    detail = f"{seconds / ORCHESTRATION_MAX_S:.1f}x the limit"
    if backfill.days != BACKFILL_TARGET_DAYS:
        # Per-partition cost shrinks as fixed start-up spreads over more days: not comparable.
        return Target(
            name,
            goal,
            "NOT RUN",
            seconds,
            "s",
            f"measured over {backfill.days} days, not {BACKFILL_TARGET_DAYS} "
            f"(--backfill-days {BACKFILL_TARGET_DAYS})",
        )
    return Target(name, goal, _verdict(seconds < ORCHESTRATION_MAX_S), seconds, "s", detail)


def _label(events: int) -> str:
    return format_size(events)
