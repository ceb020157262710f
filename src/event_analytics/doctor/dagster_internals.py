"""Every Dagster API doctor uses that is not public, in one place.

The rest of `doctor/` imports only from `dagster` and from here. Each use has no public
equivalent in Dagster 1.13, and each is pinned by `tests/test_doctor.py`
(`test_the_dagster_internals_doctor_uses_are_still_there`), so an upgrade that changes one
fails that test, not a team's CI. What each is for:

- Loading a code location the way `dagster dev -m/-f` does (`load_python_module`,
  `load_python_file`, `loadable_targets_from_loaded_module`, `repository_def_from_target_def`):
  the same module import, the same search for a `Definitions`, `@definitions` function,
  repository, job or assets, the same errors.
- `LazyDefinitions`: what `@dg.definitions` returns; doctor calls it itself to keep the
  `Definitions` object (its resources as the user wrote them).
- `ConfigurableResourceFactory`: the base of every Pythonic resource and IO manager
  (`ConfigurableResource`, `ConfigurableIOManager`, `ConfigurableIOManagerFactory`); public
  subclasses only.
- The asset graph's nodes (`RepositoryDefinition.asset_graph`): freshness policies (new, from
  metadata, legacy), partitions, children and partition mappings, and each asset's
  `AssetsDefinition`.
- The metadata key the superseded freshness-check builders stamp on their checks, and the name
  of the automation sensor Dagster adds when none covers an asset.
- An op's Python function (`DecoratedOpFunction.decorated_fn`), for its source location.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dagster as dg
from dagster._config.pythonic_config import (
    ConfigurableResourceFactory,
    ConfigurableResourceFactoryResourceDefinition,
)
from dagster._core.code_pointer import load_python_file, load_python_module
from dagster._core.definitions.asset_checks.asset_check_factories.utils import (
    FRESHNESS_PARAMS_METADATA_KEY,
)
from dagster._core.definitions.automation_condition_sensor_definition import (
    DEFAULT_AUTOMATION_CONDITION_SENSOR_NAME as DEFAULT_AUTOMATION_SENSOR,
)
from dagster._core.definitions.reconstruct import repository_def_from_target_def
from dagster._core.workspace.autodiscovery import loadable_targets_from_loaded_module
from dagster.components.definitions import LazyDefinitions

__all__ = [
    "DEFAULT_AUTOMATION_SENSOR",
    "ConfigurableResourceFactory",
    "LazyDefinitions",
    "asset_graph_nodes",
    "assets_def_of",
    "compute_function",
    "freshness_policy_of",
    "is_freshness_check_builder_output",
    "legacy_freshness_policy_of",
    "load_python_file",
    "load_python_module",
    "loadable_targets_from_loaded_module",
    "repository_def_from_target_def",
    "resource_object",
]


def asset_graph_nodes(repository: dg.RepositoryDefinition) -> list[Any]:
    """The nodes of every asset the code location materializes, in key order."""
    graph = repository.asset_graph
    return [graph.get(key) for key in sorted(graph.materializable_asset_keys)]


def assets_def_of(repository: dg.RepositoryDefinition, key: dg.AssetKey) -> dg.AssetsDefinition:
    """The `AssetsDefinition` that materializes `key`."""
    return repository.asset_graph.assets_def_for_key(key)


def freshness_policy_of(node: Any) -> dg.FreshnessPolicy | None:
    """An asset node's freshness policy, first-class or (before 1.11) in its metadata."""
    policy: dg.FreshnessPolicy | None = node.freshness_policy_or_from_metadata
    return policy


def legacy_freshness_policy_of(node: Any) -> dg.LegacyFreshnessPolicy | None:
    """An asset node's pre-1.11 `LegacyFreshnessPolicy`, if it still carries one."""
    policy: dg.LegacyFreshnessPolicy | None = node.legacy_freshness_policy
    return policy


def is_freshness_check_builder_output(checks: dg.AssetChecksDefinition) -> bool:
    """Whether `build_last_update_freshness_checks` or `build_time_partition_freshness_checks`
    made these checks (they stamp their parameters on every check spec)."""
    return any(FRESHNESS_PARAMS_METADATA_KEY in spec.metadata for spec in checks.check_specs)


def compute_function(op: dg.OpDefinition) -> Callable[..., Any] | None:
    """The Python function an op (or an asset's op) runs, as its author wrote it."""
    fn = op.compute_fn
    decorated = getattr(fn, "decorated_fn", fn)
    return decorated if callable(decorated) else None


def resource_object(definition: Any) -> Any:
    """The object a user bound as a resource, from the repository's wrapped definition: the
    `ConfigurableResource` instance itself for a Pythonic resource (a repository keeps only a
    `ResourceDefinition` bound to it), the definition unchanged otherwise."""
    if isinstance(definition, ConfigurableResourceFactoryResourceDefinition):
        bound = getattr(definition.resource_fn, "__self__", None)
        if isinstance(bound, ConfigurableResourceFactory):
            return bound
    return definition
