"""Every rule doctor knows: its id, default severity, and how it looks at a code location.

The ids are what findings, silencing (asset metadata, resource attributes, the config file)
and docs/doctor.md (a section per rule, in this order) all use. No Dagster import here: the
command line reads this module without paying for Dagster.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Severity(Enum):
    """How bad a finding is. Any unsilenced ERROR makes doctor exit 1; warnings only inform."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Rule:
    """One of the guide's rules, made executable.

    `analysis` says what the rule reads: "loaded" rules inspect the definitions Dagster
    loaded; "static" rules read the module's source (used when it does not load); "both" have
    one form of each; "history" reads the instance's run history.
    """

    id: str
    severity: Severity
    title: str
    analysis: str


_RULES = [
    Rule("loads", Severity.ERROR, "the code location loads", "loaded"),
    Rule(
        "ops-instead-of-assets",
        Severity.ERROR,
        "data produced by ops in an op-based job instead of by assets",
        "both",
    ),
    Rule(
        "legacy-resource",
        Severity.ERROR,
        "a resource that is not a ConfigurableResource",
        "both",
    ),
    Rule(
        "secret-literal",
        Severity.ERROR,
        "a password, token or connection string written into resource config",
        "both",
    ),
    Rule(
        "unpartitioned-reads-partitions",
        Severity.ERROR,
        "an unpartitioned asset that loads a time-partitioned input into memory",
        "both",
    ),
    Rule(
        "large-unpartitioned",
        Severity.WARNING,
        "an unpartitioned asset whose recorded row count is large",
        "history",
    ),
    Rule(
        "critical-without-freshness",
        Severity.ERROR,
        "a critical asset (a leaf, or tagged critical) without a FreshnessPolicy",
        "both",
    ),
    Rule(
        "legacy-api",
        Severity.WARNING,
        "legacy APIs: @repository, LegacyFreshnessPolicy, freshness-check builders",
        "both",
    ),
    Rule(
        "partitioned-without-backfill-policy",
        Severity.WARNING,
        "a partitioned asset without a backfill policy",
        "both",
    ),
    Rule(
        "duckdb-writer-without-pool",
        Severity.ERROR,
        "an asset that writes DuckDB outside a concurrency pool",
        "loaded",
    ),
    Rule(
        "automation-sensor-stopped",
        Severity.ERROR,
        "assets with automation conditions whose automation sensor starts stopped",
        "loaded",
    ),
    Rule(
        "ignore-needs-reason",
        Severity.ERROR,
        "a silenced finding must name its rule and say why",
        "both",
    ),
]

RULES: dict[str, Rule] = {rule.id: rule for rule in _RULES}
