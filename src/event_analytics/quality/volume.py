"""Is a day's volume normal? Compared with the median of the days before it."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

# Fewer loaded days than this in the trailing week and there is no baseline to speak of.
MIN_HISTORY_DAYS = 3
TRAILING_DAYS = 7


@dataclass(frozen=True)
class VolumeVerdict:
    """The outcome for one day: its rows, the baseline, and whether it is inside the band."""

    rows: int
    baseline: float | None
    history_days: int
    passed: bool
    reason: str


def judge_volume(
    rows: int, trailing: list[int], min_ratio: float, max_ratio: float
) -> VolumeVerdict:
    """Compare `rows` with the median of `trailing` (row counts of loaded earlier days)."""
    if len(trailing) < MIN_HISTORY_DAYS:
        return VolumeVerdict(
            rows, None, len(trailing), True, f"only {len(trailing)} earlier day(s): no baseline"
        )
    baseline = float(statistics.median(trailing))
    low, high = baseline * min_ratio, baseline * max_ratio
    if rows < low:
        return VolumeVerdict(
            rows,
            baseline,
            len(trailing),
            False,
            f"{rows} rows is below {min_ratio:g} x the 7-day median ({baseline:g})",
        )
    if rows > high:
        return VolumeVerdict(
            rows,
            baseline,
            len(trailing),
            False,
            f"{rows} rows is above {max_ratio:g} x the 7-day median ({baseline:g})",
        )
    return VolumeVerdict(rows, baseline, len(trailing), True, "within the band")
