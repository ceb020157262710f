"""What a rule sees: the loaded code location, its asset graph, and where things are."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import dagster as dg

from event_analytics.doctor import dagster_internals as internals
from event_analytics.doctor.catalog import RULES
from event_analytics.doctor.config import DoctorConfig
from event_analytics.doctor.findings import LOADED, Finding
from event_analytics.doctor.loading import LoadedLocation
from event_analytics.doctor.sources import Where, source_of


@dataclass
class Location:
    """A loaded code location under examination."""

    loaded: LoadedLocation
    instance: dg.DagsterInstance | None
    config: DoctorConfig

    @property
    def repository(self) -> dg.RepositoryDefinition:
        return self.loaded.repository

    @cached_property
    def nodes(self) -> list[Any]:
        """The asset graph's node of every asset the location materializes."""
        return internals.asset_graph_nodes(self.repository)

    @cached_property
    def resources(self) -> dict[str, Any]:
        """Each resource key and the object bound to it."""
        return self.loaded.resources

    def assets_def(self, key: dg.AssetKey) -> dg.AssetsDefinition:
        return internals.assets_def_of(self.repository, key)

    def asset_source(self, key: dg.AssetKey) -> Where | None:
        """Where the function that computes `key` is defined."""
        assets_def = self.assets_def(key)
        if not assets_def.is_executable:
            return None
        fn = internals.compute_function(assets_def.op)
        return source_of(fn) if fn is not None else None

    def finding(
        self,
        rule: str,
        target: str,
        where: Where | None,
        message: str,
        fix: str,
        analysis: str = LOADED,
    ) -> Finding:
        """A finding of `rule` at its catalog severity (the config may change it later)."""
        return Finding(
            rule=rule,
            severity=RULES[rule].severity,
            target=target,
            file=where[0] if where else None,
            line=where[1] if where else None,
            message=message,
            fix=fix,
            analysis=analysis,
        )


def asset_target(key: dg.AssetKey) -> str:
    """A finding's target for an asset: `asset:a/b`."""
    return f"asset:{key.to_user_string()}"
