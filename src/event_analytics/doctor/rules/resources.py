"""Resources: `legacy-resource` (not a ConfigurableResource) and `secret-literal` (a secret
or a connection string written into a resource's config instead of read from the environment).

Pythonic resources and IO managers (`ConfigurableResource`, `ConfigurableIOManager`,
`ConfigurableIOManagerFactory`) pass `legacy-resource`; a `@dg.resource` / `@dg.io_manager`
definition or a plain object bound as a resource does not: its config is untyped, invisible in
the UI and cannot take an `EnvVar`. Only Pythonic resources can be read field by field, so
`secret-literal` inspects those (a legacy resource is already a finding).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dagster as dg

from event_analytics.doctor import dagster_internals as internals
from event_analytics.doctor.findings import Finding
from event_analytics.doctor.rules.context import Location
from event_analytics.doctor.secret_values import env_var_name, literal_kind
from event_analytics.doctor.sources import Where, defined_at, is_user_code, source_of

LEGACY_FIX = (
    "declare a class: class {cls}(dg.ConfigurableResource): base_url: str, with the methods "
    'assets call; bind it with resources={{"{key}": {cls}(base_url=dg.EnvVar("{env}"))}} '
    "and take it as a typed parameter: def my_asset({key}: {cls})"
)


def legacy_fix(key: str) -> str:
    """The fix for resource `key`, with a class name and variable made from the key."""
    cls = "".join(part.capitalize() for part in key.split("_")) + "Resource"
    return LEGACY_FIX.format(key=key, cls=cls, env=env_var_name(key, "url"))


def _legacy_source(obj: Any) -> Where | None:
    if isinstance(obj, dg.ResourceDefinition):
        fn = obj.resource_fn
        where = source_of(fn)
        if where is not None and is_user_code(where[0]):
            return where
        return defined_at(obj)
    cls = type(obj)
    where = source_of(cls)
    return where if where is not None and is_user_code(where[0]) else defined_at(obj)


def legacy_resource(location: Location) -> Iterator[Finding]:
    for key, obj in sorted(location.resources.items()):
        if isinstance(obj, internals.ConfigurableResourceFactory):
            continue
        what = (
            "a legacy @dg.io_manager definition"
            if isinstance(obj, dg.IOManagerDefinition)
            else "a legacy @dg.resource definition"
            if isinstance(obj, dg.ResourceDefinition)
            else f"a plain {type(obj).__name__} object"
        )
        yield location.finding(
            "legacy-resource",
            f"resource:{key}",
            _legacy_source(obj),
            f"resource '{key}' is {what}, not a ConfigurableResource: its config is untyped, "
            "not shown in the UI, and cannot be read from an EnvVar",
            legacy_fix(key),
        )


def _literals(resource: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(field path, kind) of every field holding a secret or connection string literal,
    nested resources included. `EnvVar` fields are read from the environment: never one."""
    for name in type(resource).model_fields:
        value = getattr(resource, name, None)
        path = f"{prefix}{name}"
        if isinstance(value, internals.ConfigurableResourceFactory):
            yield from _literals(value, f"{path}.")
        elif isinstance(value, str) and not isinstance(value, dg.EnvVar):
            kind = literal_kind(name, value)
            if kind is not None:
                yield path, kind


def secret_literal(location: Location) -> Iterator[Finding]:
    for key, obj in sorted(location.resources.items()):
        if not isinstance(obj, internals.ConfigurableResourceFactory):
            continue
        cls = type(obj).__name__
        for path, kind in _literals(obj):
            field = path.rsplit(".", 1)[-1]
            env = env_var_name(key, field)
            yield location.finding(
                "secret-literal",
                f"resource:{key}",
                source_of(type(obj)),
                f"resource '{key}' ({cls}): field '{path}' is a {kind} written in the code "
                "(value not shown): it belongs in the environment, per deployment",
                f'{cls}({field}=dg.EnvVar("{env}")) and set {env} where the code runs',
            )
