"""Examining one code location: load it, run every rule, apply silences and severities.

When the location loads, the rules read its definitions (and the instance's run history when
there is one). When it does not, the load failure is one finding and the module's source is
read statically for what can still be seen (`doctor.static`).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from event_analytics.doctor.catalog import RULES
from event_analytics.doctor.config import DoctorConfig
from event_analytics.doctor.findings import Finding, LocationInfo, Report, Skipped

if TYPE_CHECKING:
    import dagster as dg

    from event_analytics.doctor.location_ref import CodeLocationRef

NO_INSTANCE = "no Dagster instance (set DAGSTER_HOME to read run history)"


def diagnose(
    ref: CodeLocationRef,
    instance: dg.DagsterInstance | None = None,
    config: DoctorConfig | None = None,
    no_instance_why: str = NO_INSTANCE,
) -> Report:
    """Everything doctor finds about the code location `ref` names.

    Loading problems are findings, never exceptions. `instance` is read for recorded row
    counts (`large-unpartitioned`); without one that rule is listed as skipped.
    """
    # Imported here, not at the top: importing the package must not import Dagster (the
    # command line declares `doctor` without paying for it).
    from event_analytics.doctor import examine, loading, static
    from event_analytics.doctor.silencing import apply

    config = config or DoctorConfig()
    outcome = loading.load(ref)
    location = LocationInfo(
        module=ref.module,
        file=str(ref.file) if ref.file is not None else None,
        loaded=isinstance(outcome, loading.LoadedLocation),
    )
    report = Report(location)
    ignores = list(config.ignores)
    if isinstance(outcome, loading.LoadedLocation):
        findings = examine.loaded_findings(outcome, instance, config)
        ignores += examine.declared_ignores(outcome)
        if instance is None:
            report.skipped.append(Skipped("large-unpartitioned", no_instance_why))
    else:
        findings = [outcome.finding]
        if outcome.source_file is not None:
            findings += static.static_findings(outcome.source_file)
        report.skipped += [
            Skipped(rule.id, "the code location does not load (this rule needs it loaded)")
            for rule in RULES.values()
            if rule.analysis in ("loaded", "history") and rule.id != "loads"
        ]
    kept, report.silenced = apply(findings, ignores)
    report.findings = sorted((_with_severity(f, config) for f in kept), key=_order)
    return report


def _with_severity(finding: Finding, config: DoctorConfig) -> Finding:
    severity = config.severity.get(finding.rule)
    return dataclasses.replace(finding, severity=severity) if severity else finding


def _order(finding: Finding) -> tuple[bool, str, int, int]:
    """A load failure first, then by place in the source, then in the catalog's order."""
    rules = list(RULES)
    rank = rules.index(finding.rule)
    return (finding.rule != "loads", finding.file or "", finding.line or 0, rank)
