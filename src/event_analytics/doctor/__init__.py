"""`event-analytics doctor`: the guide's rules for asset-centric, configurable and reliable
Dagster projects, made executable for this project and any other code location.

`diagnose(CodeLocationRef(module=... | file=...))` loads the code location the way Dagster
does and returns a `Report`: each `Finding` names its rule (`catalog.RULES`), severity,
target (`asset:...`, `resource:...`), source location, message and fix; silenced findings
keep their reasons. A module that does not load is one finding, and its source is still read
statically. The rules and how each decides: docs/doctor.md.

Importing this package does not import Dagster (the CLI stays quick); `diagnose` does.
"""

from event_analytics.doctor.catalog import RULES, Severity
from event_analytics.doctor.config import DoctorConfig
from event_analytics.doctor.diagnosis import diagnose
from event_analytics.doctor.findings import Finding, Report, Silenced, Skipped
from event_analytics.doctor.location_ref import CodeLocationRef

__all__ = [
    "RULES",
    "CodeLocationRef",
    "DoctorConfig",
    "Finding",
    "Report",
    "Severity",
    "Silenced",
    "Skipped",
    "diagnose",
]
