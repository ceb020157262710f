"""SQL kept in `.sql` files beside the code, with `$name` parameters bound, never formatted in.

`portable/` holds standard SQL every backend runs; `duckdb/` holds what only DuckDB speaks
(JSON parsing of landed lines, DDL types). A future backend adds its own folder for the latter.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


@cache
def load_statements(name: str) -> tuple[str, ...]:
    """The statements of `sql/<name>.sql`, split on the `;` that ends a line."""
    text = resources.files("event_analytics.sql").joinpath(f"{name}.sql").read_text("utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("--")]
    statements = re.split(r";\s*$", "\n".join(lines), flags=re.MULTILINE)
    return tuple(s.strip() for s in statements if s.strip())


def params_for(statement: str, params: dict[str, Any]) -> dict[str, Any]:
    """The subset of `params` a statement refers to; a missing one is a programming error."""
    names = set(_PARAM.findall(statement))
    missing = names - params.keys()
    if missing:
        raise KeyError(f"SQL parameters not provided: {sorted(missing)}")
    return {name: params[name] for name in names}
