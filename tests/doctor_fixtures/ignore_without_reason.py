"""Mistake: a finding silenced without saying why."""

import dagster as dg


@dg.asset(metadata={"doctor/ignore": {"critical-without-freshness": ""}})
def unexplained() -> None:
    """A leaf without an SLA, silenced with an empty reason."""


defs = dg.Definitions(assets=[unexplained])
