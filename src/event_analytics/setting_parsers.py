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
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

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


@dataclass(frozen=True)
class WarehouseTarget:
    """Which engine the warehouse is, and where its file lives."""

    backend: str
    path: Path

    def describe(self) -> str:
        """A description safe for logs and metadata (never carries a password)."""
        return f"{self.backend}:{self.path}"


def warehouse_target(raw: str) -> WarehouseTarget:
    """`duckdb:///relative.duckdb`, `duckdb:////abs.duckdb` or a bare path, as a target."""
    url = raw.strip()
    if not url:
        raise ValueError("set it to duckdb:///path/to/file.duckdb, or unset it for the default")
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
    if scheme in {"postgres", "postgresql", "postgresql+psycopg"}:
        raise ValueError(
            "names a PostgreSQL server, and this release computes in DuckDB only: set it to "
            "duckdb:///path/to/file.duckdb"
        )
    raise ValueError(
        f"has the scheme {scheme!r}, which is not supported: use duckdb:///path/to/file.duckdb"
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
