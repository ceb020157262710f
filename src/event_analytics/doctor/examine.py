"""Running the rules over a loaded code location, and reading the ignores its definitions
declare (asset metadata, resource class attributes)."""

from __future__ import annotations

import warnings

import dagster as dg

from event_analytics.doctor.config import DoctorConfig, Ignore
from event_analytics.doctor.findings import Finding
from event_analytics.doctor.loading import LoadedLocation
from event_analytics.doctor.rules import LOADED_RULES, Location
from event_analytics.doctor.rules.context import asset_target
from event_analytics.doctor.silencing import ASSET_METADATA_KEY, RESOURCE_ATTRIBUTE, ignores_from
from event_analytics.doctor.sources import source_of


def loaded_findings(
    loaded: LoadedLocation, instance: dg.DagsterInstance | None, config: DoctorConfig
) -> list[Finding]:
    """Every rule's findings, in the catalog's order."""
    location = Location(loaded, instance, config)
    with warnings.catch_warnings():
        # Reading deprecated attributes warns; the legacy-api rule is how doctor says so.
        warnings.simplefilter("ignore")
        return [finding for rule in LOADED_RULES for finding in rule(location)]


def declared_ignores(loaded: LoadedLocation) -> list[Ignore]:
    """The ignores written on the definitions themselves."""
    location = Location(loaded, None, DoctorConfig())
    ignores: list[Ignore] = []
    for node in location.nodes:
        if ASSET_METADATA_KEY in node.metadata:
            where = location.asset_source(node.key)
            target = asset_target(node.key)
            ignores += ignores_from(node.metadata[ASSET_METADATA_KEY], target, where)
    for key, resource in sorted(location.resources.items()):
        declared = getattr(type(resource), RESOURCE_ATTRIBUTE, None)
        if declared is not None:
            ignores += ignores_from(declared, f"resource:{key}", source_of(type(resource)))
    return ignores
