"""What doctor reports: findings, the ones silenced on purpose, and rules it could not run."""

from __future__ import annotations

from dataclasses import dataclass, field

from event_analytics.doctor.catalog import Severity

# How each finding was reached: from the definitions Dagster loaded, from the module's source
# (the module did not load), or from the instance's run history.
LOADED, STATIC, HISTORY = "loaded", "static", "history"


@dataclass(frozen=True)
class Finding:
    """One broken rule.

    `target` names what it concerns, `kind:name`: `asset:daily_summary`,
    `resource:warehouse`, `job:orders_etl`, `sensor:...`, `repository:...`, `file:...`,
    `module:...`, `config:...`. `file` and `line` are where to look (None when Dagster
    generated the thing and it has no source). `fix` is the remedy in today's API.
    """

    rule: str
    severity: Severity
    target: str
    file: str | None
    line: int | None
    message: str
    fix: str
    analysis: str = LOADED

    @property
    def where(self) -> str:
        """`file:line` for people, or a word when there is no source."""
        if self.file is None:
            return "(no source)"
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(frozen=True)
class Silenced:
    """A finding someone chose to accept, and the reason they gave."""

    finding: Finding
    reason: str


@dataclass(frozen=True)
class Skipped:
    """A rule that could not run on this occasion, and why."""

    rule: str
    why: str


@dataclass(frozen=True)
class LocationInfo:
    """Which code location was examined, and whether it loaded."""

    module: str | None
    file: str | None
    loaded: bool


@dataclass
class Report:
    """Everything doctor found about one code location."""

    location: LocationInfo
    findings: list[Finding] = field(default_factory=list)
    silenced: list[Silenced] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity is severity)

    @property
    def exit_status(self) -> int:
        """0 when no unsilenced finding is an error, 1 otherwise."""
        return 1 if self.count(Severity.ERROR) else 0
