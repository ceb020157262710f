"""What the text of each setting means: parsers from an environment variable's text to a value.

Each parser takes the raw text and returns a typed value, or raises `ValueError` whose message
says what is wrong and how to fix it, without repeating the text (a setting may be a secret).
`Setting.parse` (in `event_analytics.settings`) adds the variable's name and, unless it is a
secret, the value. Nothing here reads the environment or imports the rest of the platform, so
the command line can check settings without loading Dagster.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

# DuckDB's size syntax (https://duckdb.org/docs/configuration/overview): a number and a unit,
# 1000-based (KB ... TB) or 1024-based (KiB ... TiB), case-insensitive, optional space.
_MEMORY = re.compile(r"^(\d+(?:\.\d+)?) ?([KMGT]i?B)$", re.IGNORECASE)
_UNIT_BYTES = {
    f"{prefix}{infix}b": (1024 if infix else 1000) ** power
    for power, prefix in enumerate("kmgt", start=1)
    for infix in ("", "i")
}
# A floor that catches a wrong unit (512KB for 512MB): DuckDB works in 256 KiB blocks and
# failed to write a 100,000-row table with 2MB here; 16MiB leaves room for the platform's SQL.
MIN_MEMORY_BYTES = 16 * 1024 * 1024
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^(\d{2}):(\d{2})$")
_NO_SPACE = re.compile(r"^\S+$")


def text(raw: str) -> str:
    """Any text, as given: names and secrets the platform passes on without reading."""
    return raw


def word(raw: str) -> str:
    """A non-empty name without spaces (a host, a user, a database, a channel)."""
    if not _NO_SPACE.match(raw):
        raise ValueError("must be one word without spaces")
    return raw


def optional_word(raw: str) -> str:
    """Empty (not set), or a word without spaces (a token)."""
    if raw and not _NO_SPACE.match(raw):
        raise ValueError("must not contain spaces or line breaks: copy it again, whole")
    return raw


def choice(*allowed: str) -> Callable[[str], str]:
    """A parser accepting exactly one of `allowed`."""

    def parse(raw: str) -> str:
        if raw not in allowed:
            raise ValueError(f"must be one of: {', '.join(allowed)}")
        return raw

    return parse


def _number(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError("is not a number") from None
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


def non_negative_number(raw: str) -> float:
    """A finite number >= 0 (a ratio of volumes, a number of seconds)."""
    value = _number(raw)
    if value < 0:
        raise ValueError("must be a number >= 0, e.g. 0.5")
    return value


def share(raw: str) -> float:
    """A share between 0 and 1 inclusive (0.01 means 1%)."""
    value = _number(raw)
    if not 0 <= value <= 1:
        raise ValueError("must be a share between 0 and 1, e.g. 0.01 for 1%")
    return value


def whole_number(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """A parser for a whole number in `[minimum, maximum]`."""
    bounds = f">= {minimum}" if maximum is None else f"between {minimum} and {maximum}"

    def parse(raw: str) -> int:
        if not re.fullmatch(r"[+-]?\d+", raw.strip()):
            raise ValueError(f"must be a whole number {bounds}")
        value = int(raw)
        if value < minimum or (maximum is not None and value > maximum):
            raise ValueError(f"must be a whole number {bounds}")
        return value

    return parse


def iso_date(raw: str) -> dt.date:
    """A calendar date written YYYY-MM-DD."""
    try:
        if not _DATE.match(raw):
            raise ValueError
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ValueError("is not a date: use the form YYYY-MM-DD, e.g. 2025-01-01") from None


def time_of_day(raw: str) -> dt.time:
    """A time of day written HH:MM (24-hour clock)."""
    match = _TIME.match(raw)
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ValueError("is not a time of day: use HH:MM on a 24-hour clock, e.g. 02:00")
    return dt.time(int(match.group(1)), int(match.group(2)))


def memory_size(raw: str) -> str:
    """A DuckDB memory size such as 512MB, 4GB or 1.5GiB, returned as written."""
    match = _MEMORY.match(raw.strip())
    if not match:
        raise ValueError(
            "is not a size DuckDB understands: use a number and a unit (KB, MB, GB, TB, or "
            "KiB, MiB, GiB, TiB), e.g. 512MB, 4GB or 1.5GiB"
        )
    size = float(match.group(1)) * _UNIT_BYTES[match.group(2).lower()]
    if size < MIN_MEMORY_BYTES:
        raise ValueError("is too small for DuckDB to work in: use at least 16MiB, e.g. 1GB")
    return raw.strip()


def http_url(raw: str) -> str:
    """An http:// or https:// URL with a host; never echoed (it may carry a token)."""
    try:
        parts = urlsplit(raw)
        host = parts.hostname
        _ = parts.port  # raises ValueError for a port that is not a number
    except ValueError:
        raise ValueError("is not a valid URL: use https://host/path") from None
    if parts.scheme.lower() not in {"http", "https"}:
        raise ValueError("must be an http:// or https:// URL, e.g. https://host/path")
    if not host:
        raise ValueError("names no host: use https://host/path")
    if any(c.isspace() for c in raw):
        raise ValueError("must not contain spaces or line breaks: copy it again, whole")
    return raw


def optional_http_url(raw: str) -> str:
    """Empty (not set), or an http:// or https:// URL with a host."""
    return http_url(raw) if raw else raw


def scheme_and_host(raw: str) -> str:
    """What may be shown of a secret URL: its scheme and host only, or nothing."""
    try:
        parts = urlsplit(raw)
        host = parts.hostname or ""
    except ValueError:
        return "***"
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", parts.scheme) or "://" not in raw:
        return "***"
    return f"{parts.scheme}://{host}/***"


_POSTGRES_SCHEMES = {"postgresql", "postgres"}
DEFAULT_POSTGRES_PORT = 5432
# The libpq options a WAREHOUSE_URL may carry in its query string, passed to the platform's
# connections and to dbt's alike. Anything else is refused rather than silently ignored; libpq's
# variables (PGSSLROOTCERT, PGSSLCERT, ...) apply to both as usual.
_SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
POSTGRES_OPTIONS = ("sslmode", "connect_timeout")


@dataclass(frozen=True)
class WarehouseTarget:
    """Which engine the warehouse is, and where: a DuckDB file, a PostgreSQL database, or Spark.

    `path` is the DuckDB file (None on PostgreSQL). On PostgreSQL, `host`, `port`, `user` and
    `database` say where to log in; `password` is the URL's own, if it has one (otherwise
    libpq reads `PGPASSWORD`), and never appears in `describe()`, `repr()` or an error.
    `options` are the URL's libpq options (`sslmode`, ...), in the order given.

    On Spark, `spark_master` is `local[*]` (a local session whose tables live in the folder
    `warehouse_dir`), or a standalone cluster's `spark://host:port` (`host`, `port` too);
    `spark_connect` is a Spark Connect URL (`sc://host:port`, maybe with `;token=...`, so never
    shown whole). On a cluster or Spark Connect the tables' folder comes from
    `SPARK_WAREHOUSE_DIR`.
    """

    backend: str
    path: Path | None = None
    host: str = ""
    port: int = DEFAULT_POSTGRES_PORT
    user: str = ""
    database: str = ""
    password: str | None = field(default=None, repr=False)
    options: tuple[tuple[str, str], ...] = ()
    spark_master: str = ""
    spark_connect: str | None = field(default=None, repr=False)
    warehouse_dir: str = ""

    def describe(self) -> str:
        """A description safe for logs and metadata (never carries a password)."""
        if self.backend == "duckdb":
            return f"{self.backend}:{self.path}"
        if self.backend == "spark":
            if self.spark_connect is not None:
                return f"sc://{self.host}:{self.port}"
            if self.spark_master.startswith("local"):
                return f"spark://{self.warehouse_dir}"
            return self.spark_master
        query = "&".join(f"{name}={value}" for name, value in self.options)
        host = f"[{self.host}]" if ":" in self.host else self.host
        where = f"postgresql://{self.user}@{host}:{self.port}/{self.database}"
        return f"{where}?{query}" if query else where

    @property
    def file(self) -> Path:
        """The DuckDB file; a `ValueError` for a server, which has none."""
        if self.path is None:
            raise ValueError(f"the {self.backend} warehouse {self.describe()} is not a file")
        return self.path


def warehouse_target(raw: str) -> WarehouseTarget:
    """`duckdb:///relative.duckdb`, `duckdb:////abs.duckdb` or a bare path (a DuckDB file),
    `postgresql://user[:password]@host[:port]/database[?sslmode=...]` (`postgres://` too), or
    Spark: `spark:///absolute/folder`, `spark://host[:7077]` or `sc://host[:15002]`."""
    url = raw.strip()
    if not url:
        raise ValueError(
            "set it to duckdb:///path/to/file.duckdb or postgresql://user@host/database, "
            "or unset it for the default"
        )
    if "://" not in url:
        return _duckdb_target(url)
    scheme, _, rest = url.partition("://")
    scheme = scheme.lower()
    if scheme == "duckdb":
        if not rest.startswith("/"):
            raise ValueError(
                "must look like duckdb:///relative/file.duckdb or duckdb:////absolute/file.duckdb "
                "(three slashes, then the path)"
            )
        return _duckdb_target(rest[1:])
    if scheme in _POSTGRES_SCHEMES:
        return _postgres_target(url)
    if scheme in {"spark", "sc"}:
        return spark_target(url)
    if scheme.startswith(("postgres+", "postgresql+")):
        raise ValueError(
            "names a driver in its scheme: write postgresql://user@host:port/database "
            "(the platform chooses its own driver)"
        )
    raise ValueError(
        f"has the scheme {scheme!r}, which is not supported: use duckdb:///path/to/file.duckdb, "
        "postgresql://user@host:port/database, spark:///absolute/folder, spark://host:7077 "
        "or sc://host:15002"
    )


def _duckdb_target(path_text: str) -> WarehouseTarget:
    if not path_text or path_text.endswith("/"):
        raise ValueError("must name a DuckDB file, e.g. duckdb:///data/warehouse.duckdb")
    if path_text == ":memory:":
        raise ValueError(
            "cannot be an in-memory DuckDB: every run is its own process and would see an "
            "empty database. Name a file instead"
        )
    return WarehouseTarget(backend="duckdb", path=Path(path_text))


_POSTGRES_FORM = "postgresql://user@host:port/database"


def _postgres_target(url: str) -> WarehouseTarget:
    """A PostgreSQL URL as a target. Messages never repeat the URL: it may hold a password."""
    if any(c.isspace() for c in url):
        raise ValueError("must not contain spaces or line breaks: copy it again, whole")
    parts = urlsplit(url)
    if parts.fragment:
        raise ValueError(f"has a #fragment, which means nothing here: use {_POSTGRES_FORM}")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(
            f"has a port that is not a number from 1 to 65535: use {_POSTGRES_FORM}"
        ) from None
    if port == 0:
        raise ValueError(f"has a port that is not a number from 1 to 65535: use {_POSTGRES_FORM}")
    host = parts.hostname or ""
    user = unquote(parts.username or "")
    database = unquote(parts.path[1:]) if parts.path.startswith("/") else ""
    if not host:
        raise ValueError(f"names no host: use {_POSTGRES_FORM}")
    if not user:
        raise ValueError(f"names no user: use {_POSTGRES_FORM}")
    if not database:
        raise ValueError(f"names no database: use {_POSTGRES_FORM}")
    if "/" in database:
        raise ValueError(f"names more than one database (a / in its path): use {_POSTGRES_FORM}")
    password = unquote(parts.password) if parts.password is not None else None
    return WarehouseTarget(
        backend="postgres",
        host=host,
        port=port or DEFAULT_POSTGRES_PORT,
        user=user,
        database=database,
        password=password or None,
        options=_postgres_options(parts.query),
    )


def _postgres_options(query: str) -> tuple[tuple[str, str], ...]:
    options = []
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name not in POSTGRES_OPTIONS:
            raise ValueError(
                f"has the option {name!r}, which the platform does not pass on: use only "
                f"{', '.join(POSTGRES_OPTIONS)}"
            )
        if name == "sslmode" and value not in _SSLMODES:
            raise ValueError(
                f"has an sslmode libpq does not know: use one of {', '.join(_SSLMODES)}"
            )
        if name == "connect_timeout" and not value.isdigit():
            raise ValueError("has a connect_timeout that is not whole seconds, e.g. 10")
        options.append((name, value))
    return tuple(options)


# --- Spark warehouses ---------------------------------------------------------------------------

DEFAULT_SPARK_PORT = 7077
DEFAULT_SPARK_CONNECT_PORT = 15002
# Characters a warehouse folder may not hold: it is a Spark path (bound, never formatted into
# SQL, but `,` `{` `}` and glob characters mean something to Hadoop's paths), and a line break
# or a quote in a folder's name is far more likely a mistake than a name.
_SPARK_DIR_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f'\"`\\,{}*?\[\]]")


def spark_target(url: str) -> WarehouseTarget:
    """`spark:///absolute/folder` (a local session, its tables in that folder), `spark://host
    [:port]` (a standalone cluster) or `sc://host[:port][/;params]` (Spark Connect)."""
    if any(c.isspace() for c in url):
        raise ValueError("must not contain spaces or line breaks: copy it again, whole")
    scheme, _, rest = url.partition("://")
    if scheme.lower() == "sc":
        return _spark_connect_target(url)
    if rest.startswith("/"):
        return _spark_local_target(unquote(rest))
    return _spark_cluster_target(url)


def _spark_local_target(folder: str) -> WarehouseTarget:
    if not folder.startswith("/") or folder.startswith("//"):
        raise ValueError(
            "must name an absolute folder: spark:///absolute/folder (three slashes, then the "
            "path from the root)"
        )
    folder = folder.rstrip("/") or "/"
    if folder == "/":
        raise ValueError("names the root folder: use spark:///absolute/folder for the tables")
    if _SPARK_DIR_FORBIDDEN.search(folder):
        raise ValueError(
            "names a folder with a character Spark paths cannot take as written (a quote, a "
            "backslash, a comma, braces, brackets, * or ?): choose a plainer folder name"
        )
    return WarehouseTarget(backend="spark", spark_master="local[*]", warehouse_dir=folder)


def _host_and_port(url: str, default_port: int, form: str) -> tuple[str, int, str]:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"has a port that is not a number from 1 to 65535: use {form}") from None
    if port == 0:
        raise ValueError(f"has a port that is not a number from 1 to 65535: use {form}")
    if parts.username or parts.password:
        raise ValueError(f"must not carry a user or password before the host: use {form}")
    if not parts.hostname:
        raise ValueError(f"names no host: use {form}")
    return parts.hostname, port or default_port, parts.path


def _spark_cluster_target(url: str) -> WarehouseTarget:
    form = "spark://host:7077 (or spark:///absolute/folder for a local session)"
    if "?" in url or "#" in url:
        raise ValueError(f"has a query or fragment, which means nothing here: use {form}")
    host, port, path = _host_and_port(url, DEFAULT_SPARK_PORT, form)
    if path not in ("", "/"):
        raise ValueError(
            "names a folder after the cluster's host: a cluster's tables live in "
            "SPARK_WAREHOUSE_DIR (a folder every node sees); write spark://host:7077"
        )
    return WarehouseTarget(
        backend="spark", host=host, port=port, spark_master=f"spark://{host}:{port}"
    )


def _spark_connect_target(url: str) -> WarehouseTarget:
    form = "sc://host:15002"
    # Spark Connect's own form: sc://host:port/;param=value;param=value (token, use_ssl, ...).
    address, _, params = url.partition("/;")
    if "?" in url or "#" in url:
        raise ValueError(f"has a query or fragment: write parameters as {form}/;token=...")
    host, port, path = _host_and_port(address, DEFAULT_SPARK_CONNECT_PORT, form)
    if path not in ("", "/"):
        raise ValueError(f"has a path after the host, which Spark Connect does not take: {form}")
    for param in filter(None, params.split(";")):
        if "=" not in param:
            raise ValueError(f"has a parameter without a value: write {form}/;name=value")
    return WarehouseTarget(backend="spark", host=host, port=port, spark_connect=url)


def spark_memory(raw: str) -> str:
    """A JVM memory size as Spark takes it (`512m`, `2g`, `1t`), at least 512m."""
    match = re.fullmatch(r"(\d+)([kmgt])", raw.strip().lower())
    if not match:
        raise ValueError("is not a JVM memory size: a whole number and k, m, g or t, e.g. 2g")
    size = int(match.group(1)) * 1024 ** "kmgt".index(match.group(2))
    if size < 512 * 1024:
        raise ValueError("is too small for a Spark driver: use at least 512m, e.g. 2g")
    return raw.strip().lower()


def spark_warehouse_dir(raw: str) -> str:
    """Empty, an absolute folder, or a URI (`hdfs://...`, `file:///...`) every node sees."""
    folder = raw.strip()
    if not folder:
        return ""
    if not (folder.startswith("/") or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", folder)):
        raise ValueError("must be an absolute folder or a URI such as hdfs://namenode/warehouse")
    if _SPARK_DIR_FORBIDDEN.search(folder):
        raise ValueError("holds a character Spark paths cannot take as written (a quote, ...)")
    return folder.rstrip("/")


def spark_conf(raw: str) -> tuple[tuple[str, str], ...]:
    """Extra Spark settings: a JSON object of `spark.*` keys to values, e.g.
    `{"spark.executor.memory": "4g"}`; empty for none. Values may be secrets: never echoed."""
    import json

    if not raw.strip():
        return ()
    try:
        settings = json.loads(raw)
    except ValueError:
        raise ValueError(
            'is not a JSON object: write {"spark.executor.memory": "4g", ...}'
        ) from None
    if not isinstance(settings, dict):
        raise ValueError('must be a JSON object: {"spark.executor.memory": "4g", ...}')
    pairs = []
    for key, value in settings.items():
        if not key.startswith("spark."):
            raise ValueError(f"has the key {key!r}: every key is a Spark setting, spark.*")
        if key in _SPARK_RESERVED:
            raise ValueError(
                f"sets {key}, which the platform sets itself (WAREHOUSE_URL, "
                "SPARK_WAREHOUSE_DIR and docs/spark.md say how each is chosen)"
            )
        if value is None or not isinstance(value, str | int | float | bool):
            raise ValueError(f"gives {key} a value that is not text, a number or true/false")
        text = str(value).lower() if isinstance(value, bool) else str(value)
        pairs.append((key, text))
    return tuple(pairs)


# Mirrors `warehouse.spark.session.RESERVED_KEYS` (kept here so the CLI needs no PySpark).
_SPARK_RESERVED = frozenset(
    {
        "spark.master",
        "spark.remote",
        "spark.sql.warehouse.dir",
        "spark.sql.catalogImplementation",
        "spark.sql.hive.manageFilesourcePartitions",
        "spark.sql.session.timeZone",
        "spark.sql.timestampType",
        "spark.sql.sources.partitionOverwriteMode",
        "spark.sql.ansi.enabled",
        "spark.ui.enabled",
        "spark.ui.showConsoleProgress",
    }
)


def landing_root(raw: str) -> Path:
    """A local (or mounted) folder: a path, or a `file://` URL (host empty or `localhost`,
    percent-encoding decoded, as RFC 8089 writes them). `event-analytics generate --out` takes
    only this; `EVENTS_LANDING_URL` takes this or an S3 URL (`landing_location`)."""
    location = raw.strip()
    if not location:
        raise ValueError("names no folder: set it to the landing zone's folder, or unset it")
    if "://" not in location:
        return Path(location)
    parts = urlsplit(location)
    scheme = parts.scheme.lower()
    if scheme != "file":
        raise ValueError(
            f"uses {scheme}://, where a local or mounted folder is needed (a path or a file:// URL)"
        )
    if parts.netloc not in {"", "localhost"}:
        raise ValueError(
            "names another host: a file:// URL here is file:///path or file://localhost/path, "
            "for a local or mounted folder"
        )
    if not parts.path:
        raise ValueError("names no folder: use file:///path/to/landing")
    return Path(unquote(parts.path))


# --- S3 landing zones -------------------------------------------------------------------------

# AWS's "bucket naming rules": 3 to 63 lower-case letters, digits, dots and hyphens, starting
# and ending with a letter or digit, no "..", not an IP address. S3-compatible servers follow
# them too, so a typo is caught here rather than as a request S3 cannot route.
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IPV4 = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
_USERINFO = re.compile(r"^(\s*[A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@")


@dataclass(frozen=True)
class S3Location:
    """Where an S3 landing zone lives: a bucket, and the key prefix its `events/` sits under.

    `prefix` is empty (the bucket's top) or ends with `/`, so `prefix + "events/..."` is a key.
    """

    bucket: str
    prefix: str

    @property
    def url(self) -> str:
        """`s3://bucket/prefix/`: how messages name the landing zone (it holds no secret)."""
        return f"s3://{self.bucket}/{self.prefix}"

    def key(self, relative_path: str) -> str:
        """The object key of a path relative to the landing root (`events/date=D/name`)."""
        return self.prefix + relative_path


LandingLocation = Path | S3Location
"""A landing zone's root: a local folder, or a bucket and prefix."""


def landing_location(raw: str) -> LandingLocation:
    """`EVENTS_LANDING_URL`: `s3://bucket/prefix` for S3, otherwise a local folder
    (`landing_root`)."""
    location = raw.strip()
    scheme = location.partition("://")[0].lower() if "://" in location else ""
    if scheme == "s3":
        return s3_location(location)
    if scheme not in {"", "file"}:
        raise ValueError(
            f"uses {scheme}://, which the landing zone cannot read: use a local or mounted "
            "folder (a path or a file:// URL) or s3://bucket/prefix"
        )
    return landing_root(location)


def s3_location(raw: str) -> S3Location:
    """`s3://bucket` or `s3://bucket/prefix` as a bucket and a key prefix.

    The key prefix is taken as written (S3 keys are not percent-encoded in such URLs). The
    endpoint, region and credentials are not part of the URL: boto3 reads them from the
    standard AWS variables.
    """
    rest = raw.strip()[len("s3://") :]
    if any(c in rest for c in "?#"):
        raise ValueError("has a query or fragment: use s3://bucket/prefix alone")
    if any(c.isspace() for c in rest):
        raise ValueError("must not contain spaces or line breaks")
    bucket, _, prefix = rest.partition("/")
    if "@" in bucket:
        raise ValueError(
            "carries credentials: remove them from the URL, and set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) instead"
        )
    if ":" in bucket:
        raise ValueError(
            "names a port: an s3:// URL names only a bucket and a prefix; set the endpoint "
            "(host and port) of an S3-compatible server in AWS_ENDPOINT_URL"
        )
    if not bucket:
        raise ValueError("names no bucket: use s3://bucket/prefix")
    if not _BUCKET.match(bucket) or ".." in bucket or _IPV4.match(bucket):
        raise ValueError(
            "is not a valid bucket name: 3 to 63 lower-case letters, digits, dots and hyphens, "
            "starting and ending with a letter or digit"
        )
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    if "//" in f"/{prefix}":
        raise ValueError("has an empty part in its prefix (two slashes): use s3://bucket/a/b")
    return S3Location(bucket, prefix)


def without_userinfo(raw: str) -> str:
    """`raw` with any `user:password@` after a URL's scheme masked: what a message may echo
    of a setting that is not a secret but could have been given one by mistake."""
    return _USERINFO.sub(r"\1***@", raw, count=1)
