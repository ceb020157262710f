"""SQL written once: the queries in `event_analytics/queries/`, and their translation.

Every query of the platform is written in DuckDB's dialect with `$name` parameters. A backend
with another dialect has it translated by SQLGlot (cached: each text is translated once per
process); values stay parameters in every dialect, never formatted into the text.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


@cache
def query(name: str) -> str:
    """The text of `queries/<name>.sql`: one SELECT, comments included."""
    return resources.files("event_analytics.queries").joinpath(f"{name}.sql").read_text("utf-8")


def param_names(statement: str) -> set[str]:
    """The `$name` parameters a statement refers to."""
    return set(_PARAM.findall(statement))


def params_for(statement: str, params: dict[str, Any]) -> dict[str, Any]:
    """The subset of `params` a statement refers to; a missing one is a programming error."""
    names = param_names(statement)
    missing = names - params.keys()
    if missing:
        raise KeyError(f"SQL parameters not provided: {sorted(missing)}")
    return {name: params[name] for name in names}


@cache
def translate(statement: str, dialect: str) -> str:
    """`statement` (DuckDB's dialect, `$name` parameters) in another SQLGlot dialect.

    Parameters come out in the target's named style (PostgreSQL: `%(name)s`).
    """
    if dialect == "duckdb":
        return statement
    import sqlglot  # only backends that translate pay for the import

    translated = sqlglot.transpile(statement, read="duckdb", write=dialect)
    if len(translated) != 1:
        raise ValueError(f"expected one statement, got {len(translated)}: {statement[:200]}")
    return translated[0]
