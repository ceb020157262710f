"""Mistake: data produced by ops in an op-based job instead of by assets."""

from datetime import timedelta

import dagster as dg

SLA = dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=1))


@dg.op
def extract_orders() -> list[dict[str, int]]:
    return [{"order_id": 1, "cents": 1250}]


@dg.op
def load_orders(rows: list[dict[str, int]]) -> None:
    """Writes the rows somewhere: Dagster never learns what was produced."""


@dg.job
def orders_etl() -> None:
    load_orders(extract_orders())


defs = dg.Definitions(jobs=[orders_etl])
