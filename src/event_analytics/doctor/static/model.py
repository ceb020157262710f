"""What a module's source declares, read with `ast`: assets, resources, jobs and calls.

Decorators and calls are recognized by their last name (`asset`, `dg.asset`,
`dagster.asset`, with or without arguments), the way people write them.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

_TIME_PARTITIONS = (
    "DailyPartitionsDefinition",
    "HourlyPartitionsDefinition",
    "WeeklyPartitionsDefinition",
    "MonthlyPartitionsDefinition",
    "TimeWindowPartitionsDefinition",
)
_RESOURCE_BASES = ("ConfigurableResource", "ConfigurableIOManager", "ConfigurableIOManagerFactory")


def last_name(node: ast.expr) -> str | None:
    """`dg.asset(...)` -> "asset"; `asset` -> "asset"."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


def keywords(node: ast.expr) -> dict[str, ast.expr]:
    return {k.arg: k.value for k in node.keywords if k.arg} if isinstance(node, ast.Call) else {}


def _given(value: ast.expr | None) -> bool:
    return value is not None and not (isinstance(value, ast.Constant) and value.value is None)


def _names(value: ast.expr | None) -> set[str]:
    """Asset names in a `deps=[...]` list: names and string keys."""
    if not isinstance(value, ast.List | ast.Tuple | ast.Set):
        return set()
    names = set()
    for item in value.elts:
        if isinstance(item, ast.Name):
            names.add(item.id)
        elif isinstance(item, ast.Constant) and isinstance(item.value, str):
            names.add(item.value)
    return names


@dataclass
class StaticAsset:
    """An `@asset` function as its source declares it."""

    name: str
    function: str
    line: int
    partitions: ast.expr | None
    backfill_policy: bool
    freshness_policy: bool
    critical: bool
    inputs: dict[str, str] = field(default_factory=dict)  # parameter -> upstream asset name
    deps: set[str] = field(default_factory=set)


@dataclass
class SourceModel:
    """Everything the static rules read from one module."""

    path: Path
    tree: ast.Module
    assets: dict[str, StaticAsset] = field(default_factory=dict)
    resource_classes: set[str] = field(default_factory=set)
    time_partition_names: set[str] = field(default_factory=set)
    functions: dict[str, ast.FunctionDef] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> SourceModel | None:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        except (OSError, SyntaxError, UnicodeDecodeError):
            return None
        model = cls(path, tree)
        model._collect()
        return model

    def _collect(self) -> None:
        for node in self.tree.body:
            if isinstance(node, ast.ClassDef) and any(
                last_name(base) in _RESOURCE_BASES for base in node.bases
            ):
                self.resource_classes.add(node.name)
            elif isinstance(node, ast.Assign) and last_name(node.value) in _TIME_PARTITIONS:
                self.time_partition_names.update(
                    t.id for t in node.targets if isinstance(t, ast.Name)
                )
            elif isinstance(node, ast.FunctionDef):
                self.functions[node.name] = node
        for function in self.functions.values():
            decorator = self.decorator(function, "asset")
            if decorator is not None:
                asset = self._asset(function, decorator)
                self.assets[asset.name] = asset

    def decorator(self, function: ast.FunctionDef, name: str) -> ast.expr | None:
        return next((d for d in function.decorator_list if last_name(d) == name), None)

    def is_time_partitioned(self, asset: StaticAsset) -> bool:
        value = asset.partitions
        if isinstance(value, ast.Name):
            return value.id in self.time_partition_names
        return value is not None and last_name(value) in _TIME_PARTITIONS

    def _asset(self, function: ast.FunctionDef, decorator: ast.expr) -> StaticAsset:
        options = keywords(decorator)
        name = options.get("name")
        tags = options.get("tags")
        given = name.value if isinstance(name, ast.Constant) else None
        asset = StaticAsset(
            name=given if isinstance(given, str) else function.name,
            function=function.name,
            line=function.decorator_list[0].lineno,
            partitions=options["partitions_def"] if _given(options.get("partitions_def")) else None,
            backfill_policy=_given(options.get("backfill_policy")),
            freshness_policy=_given(options.get("freshness_policy")),
            critical=isinstance(tags, ast.Dict)
            and any(isinstance(k, ast.Constant) and k.value == "critical" for k in tags.keys),
            deps=_names(options.get("deps")),
        )
        ins = _ins(options.get("ins"))
        for arg in function.args.args + function.args.kwonlyargs:
            if not self._is_resource_or_context(arg):
                asset.inputs[arg.arg] = ins.get(arg.arg, arg.arg)
        return asset

    def _is_resource_or_context(self, arg: ast.arg) -> bool:
        annotation = last_name(arg.annotation) if arg.annotation is not None else None
        if arg.arg == "context" or (annotation or "").endswith("Context"):
            return True
        return annotation in self.resource_classes or (annotation or "").endswith("Resource")


def _ins(value: ast.expr | None) -> dict[str, str]:
    """`ins={"x": AssetIn("key")}` -> {"x": "key"}."""
    if not isinstance(value, ast.Dict):
        return {}
    mapping = {}
    for key, item in zip(value.keys, value.values, strict=True):
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
            continue
        upstream = key.value
        if isinstance(item, ast.Call):
            given = item.args[0] if item.args else keywords(item).get("key")
            if isinstance(given, ast.Constant) and isinstance(given.value, str):
                upstream = given.value
        mapping[key.value] = upstream
    return mapping
