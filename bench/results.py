"""What a bench run found: every measured run, summarized per contender and size, and ratios.

Figures of time are medians over ``--repeat`` runs; peak memory is the largest peak seen.
Ratios compare a contender with the baselines measured in the same run, on the same files:

* ``speed_vs_pandas``: pandas' wall time / this contender's (above 1: faster than pandas);
* ``compute_vs_scan_floor``, ``compute_vs_lenient_load``: this contender's compute time /
  the baseline's (1: as fast as a bare DuckDB scan or load);
* ``wall_vs_scan_floor``, ``wall_vs_lenient_load``: the same with wall times.

A contender's compute is its work alone: for a worker the job timed inside its process, for
a Dagster run the asset steps (STEP_START to STEP_SUCCESS in the event log).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from decimal import Decimal

from bench.data import Truth, format_size
from bench.project import StepTime

PANDAS, SCAN_FLOOR, LENIENT_LOAD, PROJECT = "pandas", "scan_floor", "lenient_load", "project"
VALIDATOR = "validator"


@dataclass(frozen=True)
class Run:
    """One measured run of a contender."""

    wall_s: float
    peak_rss_bytes: int
    compute_s: float
    steps: tuple[StepTime, ...] = ()
    extra: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {
            "wall_s": self.wall_s,
            "peak_rss_bytes": self.peak_rss_bytes,
            "compute_s": self.compute_s,
            "steps": [s.to_json() for s in self.steps],
            **self.extra,
        }


@dataclass(frozen=True)
class ContenderResult:
    """A contender's runs on one size, and the figures it produced (equal to the truth)."""

    name: str
    title: str
    runs: tuple[Run, ...]
    figures: dict[str, int | Decimal]

    @property
    def wall_s(self) -> float:
        return statistics.median(r.wall_s for r in self.runs)

    @property
    def compute_s(self) -> float:
        return statistics.median(r.compute_s for r in self.runs)

    @property
    def peak_rss_bytes(self) -> int:
        return max(r.peak_rss_bytes for r in self.runs)

    def extra(self, key: str) -> float | None:
        """The median of a per-run duration in ``Run.extra`` (None if runs lack it)."""
        values = [r.extra[key] for r in self.runs if key in r.extra]
        return statistics.median(values) if values else None

    def median_steps(self) -> list[tuple[str, float]]:
        """Each step's median seconds over the runs, in the order of the first run."""
        names = [s.step for s in self.runs[0].steps]
        return [
            (
                name,
                statistics.median(s.seconds for r in self.runs for s in r.steps if s.step == name),
            )
            for name in names
        ]


@dataclass(frozen=True)
class SizeResult:
    """Every contender on one generated day."""

    truth: Truth
    landing_bytes: int
    generate_s: float | None
    contenders: dict[str, ContenderResult]

    @property
    def events(self) -> int:
        return self.truth.lines

    @property
    def label(self) -> str:
        return format_size(self.truth.lines)

    def events_per_s(self, name: str) -> float:
        """Lines read per second of wall time."""
        return self.truth.lines / self.contenders[name].wall_s

    def ratios(self, name: str) -> dict[str, float | None]:
        """``name`` against the baselines (None where a baseline did not run)."""
        this = self.contenders[name]
        pandas = self.contenders.get(PANDAS)
        floor = self.contenders.get(SCAN_FLOOR)
        lenient = self.contenders.get(LENIENT_LOAD)
        return {
            "speed_vs_pandas": _ratio(pandas.wall_s if pandas else None, this.wall_s),
            "compute_vs_scan_floor": _ratio(this.compute_s, floor.compute_s if floor else None),
            "compute_vs_lenient_load": _ratio(
                this.compute_s, lenient.compute_s if lenient else None
            ),
            "wall_vs_scan_floor": _ratio(this.wall_s, floor.wall_s if floor else None),
            "wall_vs_lenient_load": _ratio(this.wall_s, lenient.wall_s if lenient else None),
        }


@dataclass(frozen=True)
class BackfillResult:
    """One run of the platform's assets over many days (a single-run backfill)."""

    days: int
    events_per_day: int
    wall_s: float
    peak_rss_bytes: int
    asset_compute_s: float
    run_s: float
    steps: tuple[StepTime, ...]

    @property
    def orchestration_per_partition_s(self) -> float:
        """(wall - asset compute) / days: what running through Dagster costs per day."""
        return (self.wall_s - self.asset_compute_s) / self.days

    @property
    def wall_per_partition_s(self) -> float:
        return self.wall_s / self.days


@dataclass(frozen=True)
class RangeResult:
    """The same days as one range run and as one run per day (sequential CLI runs)."""

    days: int
    events_per_day: int
    range_wall_s: float
    range_asset_compute_s: float
    single_walls_s: tuple[float, ...]
    single_asset_compute_s: tuple[float, ...]
    peak_rss_bytes: int

    @property
    def singles_wall_s(self) -> float:
        return sum(self.single_walls_s)

    @property
    def singles_vs_range(self) -> float:
        """How many times longer one run per day takes than one range run."""
        return self.singles_wall_s / self.range_wall_s


@dataclass
class BenchResults:
    """Everything one ``python -m bench`` run measured."""

    sizes: list[SizeResult] = field(default_factory=list)
    backfill: BackfillResult | None = None
    range_runs: RangeResult | None = None
    failure: str | None = None

    def size(self, events: int) -> SizeResult | None:
        return next((s for s in self.sizes if s.events == events), None)


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return numerator / denominator
