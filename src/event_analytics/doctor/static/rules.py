"""The static forms of the rules, over a `SourceModel` (see the package docstring)."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from pathlib import Path

from event_analytics.doctor.catalog import RULES
from event_analytics.doctor.findings import STATIC, Finding
from event_analytics.doctor.rules import freshness, jobs, legacy, partitions, resources
from event_analytics.doctor.secret_values import env_var_name, literal_kind
from event_analytics.doctor.sources import display_path
from event_analytics.doctor.static.model import SourceModel, keywords, last_name

_FRESHNESS_BUILDERS = (
    "build_last_update_freshness_checks",
    "build_time_partition_freshness_checks",
)


def static_findings(path: Path) -> list[Finding]:
    """What the source of `path` shows, for a module that does not load."""
    model = SourceModel.read(path)
    if model is None:
        return []
    checks: list[Callable[[SourceModel], Iterator[Finding]]] = [
        _ops_instead_of_assets,
        _legacy_resource,
        _secret_literal,
        _unpartitioned_reads_partitions,
        _critical_without_freshness,
        _legacy_api,
        _partitioned_without_backfill_policy,
    ]
    return [finding for check in checks for finding in check(model)]


def _finding(
    model: SourceModel, rule: str, target: str, line: int, message: str, fix: str
) -> Finding:
    return Finding(
        rule=rule,
        severity=RULES[rule].severity,
        target=target,
        file=display_path(model.path),
        line=line,
        message=message,
        fix=fix,
        analysis=STATIC,
    )


def _unpartitioned_reads_partitions(model: SourceModel) -> Iterator[Finding]:
    for asset in model.assets.values():
        if asset.partitions is not None:
            continue
        for upstream in sorted(set(asset.inputs.values())):
            source = model.assets.get(upstream)
            if source is None or not model.is_time_partitioned(source):
                continue
            yield _finding(
                model,
                "unpartitioned-reads-partitions",
                f"asset:{asset.name}",
                asset.line,
                f"'{asset.name}' is unpartitioned but takes '{upstream}' as an input: the IO "
                f"manager loads every partition of '{upstream}' since the start date into "
                "memory on each run, and a missing one fails it",
                partitions.READS_FIX.format(upstream=upstream, name=asset.name),
            )


def _critical_without_freshness(model: SourceModel) -> Iterator[Finding]:
    read = {name for asset in model.assets.values() for name in asset.inputs.values()}
    read |= {name for asset in model.assets.values() for name in asset.deps}
    for asset in model.assets.values():
        if asset.freshness_policy or not (asset.critical or asset.name not in read):
            continue
        why = (
            "tagged critical" if asset.critical else "a leaf of the asset graph (what people read)"
        )
        yield _finding(
            model,
            "critical-without-freshness",
            f"asset:{asset.name}",
            asset.line,
            f"'{asset.name}' is {why} and has no FreshnessPolicy: nobody is told when it stops "
            "updating",
            freshness.FIX,
        )


def _partitioned_without_backfill_policy(model: SourceModel) -> Iterator[Finding]:
    for asset in model.assets.values():
        if asset.partitions is None or asset.backfill_policy:
            continue
        yield _finding(
            model,
            "partitioned-without-backfill-policy",
            f"asset:{asset.name}",
            asset.line,
            f"'{asset.name}' is partitioned but has no backfill policy: a backfill launches one "
            "run per partition (365 runs for a year of days)",
            partitions.BACKFILL_FIX,
        )


def _resource_keys(model: SourceModel) -> dict[int, str]:
    """id() of each call written as a value of a dict literal with text keys -> its key
    (`resources={"warehouse": WarehouseResource(...)}`)."""
    keys = {}
    for node in ast.walk(model.tree):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and isinstance(value, ast.Call):
                    keys[id(value)] = str(key.value)
    return keys


def _is_resource_call(model: SourceModel, call: ast.Call, keys: dict[int, str]) -> bool:
    name = last_name(call) or ""
    return id(call) in keys or name in model.resource_classes or name.endswith("Resource")


def _secret_literal(model: SourceModel) -> Iterator[Finding]:
    keys = _resource_keys(model)
    for call in ast.walk(model.tree):
        if not isinstance(call, ast.Call) or not _is_resource_call(model, call, keys):
            continue
        cls = last_name(call) or "the resource"
        key = keys.get(id(call), cls)
        for keyword in call.keywords:
            value = keyword.value
            if not (
                keyword.arg and isinstance(value, ast.Constant) and isinstance(value.value, str)
            ):
                continue
            kind = literal_kind(keyword.arg, value.value)
            if kind is None:
                continue
            env = env_var_name(key, keyword.arg)
            yield _finding(
                model,
                "secret-literal",
                f"resource:{key}",
                keyword.value.lineno,
                f"resource '{key}' ({cls}): '{keyword.arg}' is a {kind} written in the code "
                "(value not shown): it belongs in the environment, per deployment",
                f'{cls}({keyword.arg}=dg.EnvVar("{env}")) and set {env} where the code runs',
            )


def _legacy_resource(model: SourceModel) -> Iterator[Finding]:
    for function in model.functions.values():
        if model.decorator(function, "resource") is None:
            continue
        yield _finding(
            model,
            "legacy-resource",
            f"resource:{function.name}",
            function.decorator_list[0].lineno,
            f"'{function.name}' is a legacy @resource, not a ConfigurableResource: its config "
            "is untyped, not shown in the UI, and cannot be read from an EnvVar",
            resources.legacy_fix(function.name),
        )


def _legacy_api(model: SourceModel) -> Iterator[Finding]:
    for function in model.functions.values():
        if model.decorator(function, "repository") is not None:
            yield _finding(
                model,
                "legacy-api",
                f"repository:{function.name}",
                function.decorator_list[0].lineno,
                f"'{function.name}' is a @repository: Definitions replaced repositories",
                legacy.REPOSITORY_FIX,
            )
    for asset in model.assets.values():
        decorators = model.functions[asset.function].decorator_list
        if any(last_name(n) == "LegacyFreshnessPolicy" for d in decorators for n in _calls(d)):
            yield _finding(
                model,
                "legacy-api",
                f"asset:{asset.name}",
                asset.line,
                f"'{asset.name}' carries a LegacyFreshnessPolicy (pre-1.11)",
                legacy.POLICY_FIX.format(minutes=60),
            )
    for call in _calls(model.tree):
        if last_name(call) in _FRESHNESS_BUILDERS:
            watched = keywords(call).get("assets")
            names = [last_name(e) for e in watched.elts] if isinstance(watched, ast.List) else []
            for name in names or ["?"]:
                yield _finding(
                    model,
                    "legacy-api",
                    f"asset:{name}",
                    call.lineno,
                    f"'{name}' is watched by checks from {last_name(call)}, superseded by "
                    "freshness policies",
                    legacy.CHECKS_FIX,
                )


def _ops_instead_of_assets(model: SourceModel) -> Iterator[Finding]:
    data_ops = {
        name: function
        for name, function in model.functions.items()
        if model.decorator(function, "op") is not None
        and function.returns is not None
        and not (isinstance(function.returns, ast.Constant) and function.returns.value is None)
    }
    for name, function in model.functions.items():
        if model.decorator(function, "job") is None:
            continue
        called = sorted({last_name(c) or "" for c in _calls(function)} & set(data_ops))
        if not called:
            continue
        yield _finding(
            model,
            "ops-instead-of-assets",
            f"job:{name}",
            data_ops[called[0]].decorator_list[0].lineno,
            f"op-based job '{name}': op(s) {', '.join(called)} return data that Dagster cannot "
            "see as assets (no lineage, partitions, freshness or checks)",
            jobs.FIX,
        )


def _calls(node: ast.AST) -> Iterator[ast.Call]:
    return (n for n in ast.walk(node) if isinstance(n, ast.Call))
