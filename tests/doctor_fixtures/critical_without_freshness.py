"""Mistake: critical assets without a FreshnessPolicy: a leaf of the graph, and an asset
tagged critical."""

import dagster as dg


@dg.asset(tags={"critical": "true"})
def payments() -> None:
    """Tagged critical: billing reads it."""


@dg.asset(deps=[payments])
def finance_report() -> None:
    """A leaf: what people read."""


defs = dg.Definitions(assets=[payments, finance_report])
