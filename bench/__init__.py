"""``make bench``: how fast the project turns landed events into daily figures, and at what cost.

One run generates a day of events (:mod:`bench.data`), has every contender
(:mod:`bench.contenders`) compute its figures from the same files in a fresh process, measured
for wall time and peak memory (:mod:`bench.measure`), checks every figure against the
generator's own, then times orchestration over many small days (:mod:`bench.scenarios`).
Results are written as JSON and Markdown (:mod:`bench.report`), with each performance target
of :mod:`bench.targets` judged PASS or MISS. ``docs/performance.md`` explains the figures.

Nothing here is imported by the project; the bench drives it from outside, like a user.
"""
