"""Silencing a finding on purpose, always with a reason.

Three places say "accept this finding, because...", each mapping rule id to reason:
- an asset's metadata: `metadata={"doctor/ignore": {"critical-without-freshness": "why"}}`
  (metadata, not tags: tag values cannot hold a sentence);
- a resource class's attribute: `doctor_ignore: ClassVar[dict[str, str]] = {"rule": "why"}`;
- the config file's `[[ignore]]` entries (`rule`, `target`, `reason`), for anything else
  (jobs, sensors, legacy resources, a module that does not load).

A silenced finding is listed with its reason and not counted. An ignore that names an unknown
rule or gives no reason silences nothing and is itself an `ignore-needs-reason` finding.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from event_analytics.doctor.catalog import RULES
from event_analytics.doctor.config import Ignore
from event_analytics.doctor.findings import Finding, Silenced
from event_analytics.doctor.sources import Where

ASSET_METADATA_KEY = "doctor/ignore"
RESOURCE_ATTRIBUTE = "doctor_ignore"

FIX = (
    'give every ignore a known rule id and a reason: metadata={"doctor/ignore": '
    '{"critical-without-freshness": "a scratch table nobody reads"}}'
)


def ignores_from(mapping: Any, target: str, where: Where | None) -> Iterator[Ignore]:
    """The ignores a metadata value or class attribute declares for `target`."""
    value = getattr(mapping, "value", mapping)  # JSON metadata arrives wrapped
    if not isinstance(value, Mapping):
        value = {"": ""}  # not a mapping of rule to reason: an ignore of no rule, no reason
    for rule, reason in value.items():
        yield Ignore(
            rule=str(rule),
            target=target,
            reason=reason.strip() if isinstance(reason, str) else "",
            origin=target,
            file=where[0] if where else None,
            line=where[1] if where else None,
        )


def apply(
    findings: Iterable[Finding], ignores: Iterable[Ignore]
) -> tuple[list[Finding], list[Silenced]]:
    """Split `findings` into the ones that count and the ones silenced; invalid ignores
    become findings of their own."""
    valid: dict[tuple[str, str], str] = {}
    kept: list[Finding] = []
    for ignore in ignores:
        if ignore.rule in RULES and ignore.reason:
            valid.setdefault((ignore.rule, ignore.target), ignore.reason)
        else:
            kept.append(_invalid(ignore))
    silenced = []
    for finding in findings:
        reason = valid.get((finding.rule, finding.target))
        if reason is None:
            kept.append(finding)
        else:
            silenced.append(Silenced(finding, reason))
    return kept, silenced


def _invalid(ignore: Ignore) -> Finding:
    if ignore.rule not in RULES:
        problem = f"names {'no rule' if not ignore.rule else f'an unknown rule {ignore.rule!r}'}"
    else:
        problem = f"silences {ignore.rule} for {ignore.target} without a reason"
    return Finding(
        rule="ignore-needs-reason",
        severity=RULES["ignore-needs-reason"].severity,
        target=ignore.origin,
        file=ignore.file,
        line=ignore.line,
        message=f"an ignore {problem}: it silences nothing",
        fix=FIX,
    )
