"""One query, as `event-analytics sql` accepts it: exactly one statement, a query, no parameters.

The text is read by DuckDB's own parser (the platform writes every query in DuckDB's dialect and
each backend translates it, so the command takes the same dialect on every backend):
`extract_statements` says how many statements there are, of which type and with which
parameters, and `tokenize` where trailing semicolons and comments start. This check is for the
person at the keyboard, so that `DELETE ...` gets a clear answer instead of an engine error; it
is not what keeps the warehouse safe. The session is read-only (`session.py`): a write that got
past this check would still be refused by the engine.
"""

from __future__ import annotations

import duckdb

#: DuckDB's type for every statement that only returns rows: SELECT, WITH, VALUES, FROM-first
#: queries, and DESCRIBE, SHOW and SUMMARIZE, which DuckDB rewrites into queries.
_QUERY = duckdb.StatementType.SELECT
ROW_LIMIT_PARAMETER = "row_limit"


class NotOneQuery(ValueError):
    """The text is not exactly one query: a usage error, found before the warehouse is opened."""


class QuerySyntaxError(ValueError):
    """The text is not SQL the parser understands; the message is the parser's."""


def one_query(text: str) -> str:
    """The one query in `text`, without trailing semicolons or comments; or `NotOneQuery`
    saying what was found instead, or `QuerySyntaxError` with the parser's message."""
    parser = duckdb.connect(":memory:")
    try:
        statements = parser.extract_statements(text)
    except duckdb.ParserException as error:
        raise QuerySyntaxError(str(error)) from None
    finally:
        parser.close()
    if not statements:
        raise NotOneQuery('no query given: pass one query, e.g. "SELECT 1"')
    if len(statements) > 1:
        raise NotOneQuery(
            f"got {len(statements)} statements: pass one query at a time (this command runs "
            "exactly one, and never a script)"
        )
    [statement] = statements
    if statement.type != _QUERY:
        raise NotOneQuery(
            f"{statement.type.name} statements are not run: this command only reads. Pass one "
            "query (SELECT, WITH, VALUES, FROM, DESCRIBE, SHOW or SUMMARIZE)"
        )
    if statement.named_parameters:
        names = ", ".join(f"${name}" for name in sorted(statement.named_parameters))
        raise NotOneQuery(
            f"the query has parameters ({names}), and this command binds none: write the "
            "values into the query"
        )
    return _without_trailing_semicolons(text)


def _without_trailing_semicolons(text: str) -> str:
    """`text` up to its last token that is neither a `;` nor a comment.

    A query is run inside another one when its rows are limited (`with_row_limit`), where a
    semicolon, or a `--` comment swallowing the closing parenthesis, would break it.
    """
    tokens = duckdb.tokenize(text)
    end = len(text)
    for start, kind in reversed(tokens):
        if kind == duckdb.token_type.comment or (
            kind == duckdb.token_type.operator and text.startswith(";", start)
        ):
            end = start
            continue
        break
    return text[:end].rstrip()


def with_row_limit(query: str) -> str:
    """`query` limited to `$row_limit` rows. The engine stops early (DuckDB plans a top-N
    or a limit), so a person's `SELECT * FROM raw.events` does not read every row."""
    # The query is the person's own text, checked by `one_query`; the limit is bound.
    return (
        f"SELECT * FROM (\n{query}\n) AS limited_result "  # noqa: S608
        f"LIMIT ${ROW_LIMIT_PARAMETER}"
    )
