"""Whether a configured text value is a secret or a connection string written into code.

Shared by the rule on loaded resources and its static form. Judged on the field's name (a
password, token, key, DSN or connection string by name is a secret whatever its value, even
a placeholder) and on the value (a URL carrying a password; a database URL naming a host).
An empty value is "not set", never a finding. No Dagster import.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_SECRET_NAME = re.compile(
    r"(?:^|_)(?:password|passwd|pwd|secret|token|api_?key|access_?key|secret_?key|"
    r"private_?key|credentials?)$",
    re.IGNORECASE,
)
_CONNECTION_NAME = re.compile(r"(?:^|_)(?:connection_?string|conn_?str|dsn)$", re.IGNORECASE)

# Schemes of database and broker URLs: such a URL names a server of one environment.
_SERVER_SCHEMES = {
    "postgres",
    "postgresql",
    "mysql",
    "mariadb",
    "mssql",
    "oracle",
    "snowflake",
    "redshift",
    "clickhouse",
    "mongodb",
    "mongodb+srv",
    "redis",
    "rediss",
    "amqp",
    "amqps",
    "trino",
    "presto",
    "databricks",
}


def literal_kind(field: str, value: str) -> str | None:
    """What a literal `value` of `field` is, when it should come from the environment:
    "secret", "URL with a password" or "connection string"; None when it is fine in code."""
    if not value.strip():
        return None
    if _SECRET_NAME.search(field):
        return "secret"
    if _CONNECTION_NAME.search(field):
        return "connection string"
    try:
        url = urlsplit(value.strip())
        scheme = url.scheme.lower().split("+")[0]
        password, host = url.password, url.hostname
    except ValueError:
        return None
    if password:
        return "URL with a password"
    if (scheme in _SERVER_SCHEMES or url.scheme.lower() in _SERVER_SCHEMES) and host:
        return "connection string"
    return None


def env_var_name(*parts: str) -> str:
    """A suggested environment variable for a field: `database`, `password` -> DATABASE_PASSWORD."""
    return re.sub(r"[^A-Z0-9]+", "_", "_".join(parts).upper()).strip("_")
