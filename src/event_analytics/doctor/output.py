"""doctor's report as text for people and as JSON for machines.

Text: one block per finding (severity, rule, target, file:line, then the message and the fix),
the silenced ones with their reasons, the rules that could not run, and a count. JSON (schema
`event-analytics-doctor/1`): `location`, `findings`, `silenced` (each finding plus `reason`),
`skipped` and `summary`; see docs/doctor.md.
"""

from __future__ import annotations

import json
from typing import Any

from event_analytics.doctor.catalog import Severity
from event_analytics.doctor.findings import Finding, Report

SCHEMA = "event-analytics-doctor/1"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary_line(report: Report) -> str:
    errors, warnings = report.count(Severity.ERROR), report.count(Severity.WARNING)
    return (
        f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}, "
        f"{len(report.silenced)} silenced"
    )


def _block(label: str, finding: Finding) -> list[str]:
    static = "  (static: the module did not load)" if finding.analysis == "static" else ""
    return [
        f"{label}  {finding.rule}  {finding.target}  {finding.where}{static}",
        *(f"    {line}" for line in finding.message.splitlines()),
        f"    fix: {finding.fix}",
    ]


def render_text(report: Report) -> str:
    """The report for a terminal or a CI log."""
    where = report.location.module or report.location.file
    lines = [f"doctor: {where}" + ("" if report.location.loaded else " (does not load)")]
    for finding in report.findings:
        lines += _block(finding.severity.value, finding)
    for silenced in report.silenced:
        lines += [*_block("silenced", silenced.finding)[:1], f"    reason: {silenced.reason}"]
    for skipped in report.skipped:
        lines.append(f"skipped  {skipped.rule}: {skipped.why}")
    if not report.findings:
        lines.append("no findings")
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"


def _finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "rule": finding.rule,
        "severity": finding.severity.value,
        "target": finding.target,
        "file": finding.file,
        "line": finding.line,
        "message": finding.message,
        "fix": finding.fix,
        "analysis": finding.analysis,
    }


def report_json(report: Report) -> dict[str, Any]:
    """The report as JSON-ready data."""
    return {
        "schema": SCHEMA,
        "location": {
            "module": report.location.module,
            "file": report.location.file,
            "loaded": report.location.loaded,
        },
        "findings": [_finding_json(f) for f in report.findings],
        "silenced": [{**_finding_json(s.finding), "reason": s.reason} for s in report.silenced],
        "skipped": [{"rule": s.rule, "why": s.why} for s in report.skipped],
        "summary": {
            "errors": report.count(Severity.ERROR),
            "warnings": report.count(Severity.WARNING),
            "silenced": len(report.silenced),
        },
    }


def render_json(report: Report) -> str:
    return json.dumps(report_json(report), indent=2) + "\n"
