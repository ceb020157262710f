"""doctor's settings for a project: silenced findings, severities, the row-count threshold.

Read from `--config FILE`, else from `doctor.toml` in the working directory, else from the
`[tool.event_analytics.doctor]` table of its `pyproject.toml`. The same keys in each:

    large_rows = 10000000                 # large-unpartitioned: rows above this are large
    [severity]
    "partitioned-without-backfill-policy" = "error"
    [[ignore]]
    rule = "critical-without-freshness"
    target = "asset:scratch"
    reason = "a scratch table nobody reads"

An ignore without a reason silences nothing and is itself a finding (`ignore-needs-reason`).
Anything else that is wrong (bad TOML, an unknown key or rule) is a `ConfigError`: the
command stops with exit status 2 before loading anything.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from event_analytics.doctor.catalog import RULES, Severity

CONFIG_FILE = "doctor.toml"
PYPROJECT_TABLE = ("tool", "event_analytics", "doctor")
DEFAULT_LARGE_ROWS = 10_000_000

_KEYS = {"large_rows", "severity", "ignore"}
_IGNORE_KEYS = {"rule", "target", "reason"}


class ConfigError(ValueError):
    """The config file cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class Ignore:
    """Silence `rule` for `target` (`asset:x`, `resource:y`...) because of `reason`.

    `origin` is where the ignore was written (`config:doctor.toml`, `asset:x`,
    `resource:y`) and `file` its source, for the finding an empty reason gives.
    """

    rule: str
    target: str
    reason: str
    origin: str
    file: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class DoctorConfig:
    """The settings; the defaults need no file."""

    ignores: tuple[Ignore, ...] = ()
    severity: dict[str, Severity] = field(default_factory=dict)
    large_rows: int = DEFAULT_LARGE_ROWS


def load_config(path: Path | None, cwd: Path) -> DoctorConfig:
    """The config `path` names, or the one found in `cwd`, or the defaults."""
    if path is not None:
        if not path.is_file():
            raise ConfigError(f"{path}: no such file")
        table = _read(path)
        if path.name == "pyproject.toml":
            return _parse(_tool_table(table) or {}, path)
        return _parse(table, path)
    if (cwd / CONFIG_FILE).is_file():
        return _parse(_read(cwd / CONFIG_FILE), cwd / CONFIG_FILE)
    if (cwd / "pyproject.toml").is_file():
        found = _tool_table(_read(cwd / "pyproject.toml"))
        if found is not None:
            return _parse(found, cwd / "pyproject.toml")
    return DoctorConfig()


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: {error}") from None


def _tool_table(document: dict[str, Any]) -> dict[str, Any] | None:
    table: Any = document
    for key in PYPROJECT_TABLE:
        if not isinstance(table, dict) or key not in table:
            return None
        table = table[key]
    return table if isinstance(table, dict) else None


def _parse(table: dict[str, Any], path: Path) -> DoctorConfig:
    unknown = set(table) - _KEYS
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {sorted(unknown)}; known: {sorted(_KEYS)}")
    large_rows = table.get("large_rows", DEFAULT_LARGE_ROWS)
    if not isinstance(large_rows, int) or isinstance(large_rows, bool) or large_rows < 1:
        raise ConfigError(f"{path}: large_rows must be a whole number of at least 1")
    return DoctorConfig(
        ignores=tuple(_ignores(table.get("ignore", []), path)),
        severity=_severities(table.get("severity", {}), path),
        large_rows=large_rows,
    )


def _known_rule(rule: object, path: Path) -> str:
    if not isinstance(rule, str) or rule not in RULES:
        raise ConfigError(f"{path}: unknown rule {rule!r}; known: {', '.join(RULES)}")
    return rule


def _severities(table: object, path: Path) -> dict[str, Severity]:
    if not isinstance(table, dict):
        raise ConfigError(f'{path}: [severity] must be a table of rule = "error" | "warning"')
    severities = {}
    for rule, value in table.items():
        try:
            severities[_known_rule(rule, path)] = Severity(value)
        except ValueError:
            raise ConfigError(
                f'{path}: severity of {rule} must be "error" or "warning", not {value!r}'
            ) from None
    return severities


def _ignores(entries: object, path: Path) -> list[Ignore]:
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ConfigError(f"{path}: ignore must be an array of tables ([[ignore]])")
    ignores = []
    for entry in entries:
        unknown = set(entry) - _IGNORE_KEYS
        if unknown:
            raise ConfigError(f"{path}: unknown key(s) {sorted(unknown)} in an [[ignore]]")
        target, reason = entry.get("target"), entry.get("reason", "")
        if not isinstance(target, str) or ":" not in target:
            raise ConfigError(
                f'{path}: an [[ignore]] needs target = "kind:name" (e.g. "asset:users")'
            )
        if not isinstance(reason, str):
            raise ConfigError(f"{path}: the reason of an [[ignore]] must be text")
        ignores.append(
            Ignore(
                rule=_known_rule(entry.get("rule"), path),
                target=target,
                reason=reason.strip(),
                origin=f"config:{path.name}",
                file=str(path),
            )
        )
    return ignores
