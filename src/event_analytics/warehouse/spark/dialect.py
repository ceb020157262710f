"""The platform's queries (DuckDB's dialect) in Spark SQL: SQLGlot's translation, plus the one
construct it does not carry over.

`FROM generate_series(a, b, step) AS days(day)` (a calendar of the window's days, as
`queries/daily_summary.sql` writes it) is a table function in DuckDB and PostgreSQL. SQLGlot
turns it into Spark's `EXPLODE(SEQUENCE(...))` but loses the alias on the way, so this module
rewrites that node itself: the same rows, under the same alias, from Spark's generator. The
query text stays one copy, in DuckDB's dialect.
"""

from __future__ import annotations

from functools import cache

import sqlglot
from sqlglot import exp


def _calendar(node: exp.Expression) -> exp.Expression:
    """`generate_series(...) AS alias(column)` in FROM as `EXPLODE(SEQUENCE(...)) AS ...`."""
    if isinstance(node, exp.Table) and isinstance(node.this, exp.GenerateSeries):
        series = node.this
        sequence = exp.Anonymous(
            this="SEQUENCE",
            expressions=[series.args["start"], series.args["end"], series.args["step"]],
        )
        return exp.Table(this=exp.Explode(this=sequence), alias=node.args.get("alias"))
    return node


@cache
def to_spark(statement: str) -> str:
    """`statement` (DuckDB's dialect, `$name` parameters) in Spark SQL (`:name` parameters)."""
    parsed = sqlglot.parse(statement, read="duckdb")
    if len(parsed) != 1 or parsed[0] is None:
        raise ValueError(f"expected one statement, got {len(parsed)}: {statement[:200]}")
    return parsed[0].transform(_calendar).sql(dialect="spark")
