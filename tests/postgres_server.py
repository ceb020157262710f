"""A real, private PostgreSQL server for the tests: its own cluster, port and password.

Started from the machine's PostgreSQL binaries (Debian's `postgresql` package puts them under
/usr/lib/postgresql/<major>/bin) in a temporary folder, on a free loopback port, with a
random password and scram authentication, and removed afterwards. Nothing else on the machine
is touched, so a developer's own server and CI's clean machine behave the same. `initdb`
refuses to run as root, so as root the server runs as the `postgres` user the package creates.

Where no PostgreSQL is installed the tests that need it are skipped, except under `CI=true`,
where a missing server is a failure: CI must prove the PostgreSQL target for real.

The server loads `pg_stat_statements`, so a test can see which statements a session sent (rows
arrive by COPY, never by INSERT one row at a time). Each test takes a database of its own
(`fresh_database`), and `PostgresPlatform` is the harness's platform with its warehouse there.
"""

from __future__ import annotations

import itertools
import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest

from harness import Platform
from network import free_loopback_port

SERVICE_USER = "postgres"


@dataclass(frozen=True)
class PostgresServer:
    """Where the server listens and how to log in, as libpq's environment variables."""

    host: str
    port: int
    user: str
    password: str
    database: str

    @property
    def environment(self) -> dict[str, str]:
        return {
            "PGHOST": self.host,
            "PGPORT": str(self.port),
            "PGUSER": self.user,
            "PGPASSWORD": self.password,
            "PGDATABASE": self.database,
        }

    def url(self, database: str | None = None, with_password: bool = False) -> str:
        """`WAREHOUSE_URL` for `database` (default: the server's own); the password in it only
        when asked (otherwise it comes from `PGPASSWORD`)."""
        user = f"{self.user}:{quote(self.password, safe='')}" if with_password else self.user
        return f"postgresql://{user}@{self.host}:{self.port}/{database or self.database}"

    def connect(self, database: str | None = None) -> psycopg.Connection[tuple[Any, ...]]:
        """A plain autocommit connection, for setting up and inspecting a test's database."""
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            dbname=database or self.database,
            autocommit=True,
        )


_DATABASE_NUMBERS = itertools.count(1)


def fresh_database(server: PostgresServer, template: str | None = None) -> str:
    """A new, empty database on `server` (or a copy of `template`, which nobody may be
    connected to); its name. Databases live as long as the session's server."""
    name = f"t{os.getpid()}_{next(_DATABASE_NUMBERS)}"
    # Both names are made here or by an earlier call, never from input: plain identifiers.
    copy = f" TEMPLATE {template}" if template else ""
    with server.connect() as con:
        con.execute(f"CREATE DATABASE {name}{copy}")
    return name


class PostgresPlatform(Platform):
    """The harness's platform, with its warehouse in a PostgreSQL database of its own.

    Everything goes through the platform's own code: runs use `WAREHOUSE_URL` for the database
    (its password in the URL), and `rows`/`snapshot` read through the warehouse seam.
    """

    def __init__(self, root: Path, server: PostgresServer, database: str | None = None) -> None:
        self.server = server
        self.database = database or fresh_database(server)
        super().__init__(root)

    @property
    def url(self) -> str:
        return self.server.url(self.database, with_password=True)

    @property
    def resources(self) -> dict[str, Any]:
        from event_analytics.landing import LandingZoneResource
        from event_analytics.warehouse import WarehouseResource

        return {
            "warehouse": WarehouseResource(url=self.url),
            "landing": LandingZoneResource(url=str(self.landing_root)),
        }

    def rows(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        """The rows of `sql` (DuckDB's dialect, as every platform query), read through the seam."""
        assert params is None, "positional parameters are DuckDB's: bind $names through the seam"
        with self.resources["warehouse"].connect(read_only=True) as session:
            table = session.fetch_arrow(sql)
        return list(zip(*(column.to_pylist() for column in table.columns), strict=True))


def postgres_bin_dir() -> Path | None:
    """The newest installed PostgreSQL's binaries, or None."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if candidates:
        return candidates[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _as_service_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", SERVICE_USER, "--", *command]


@contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """Start a private cluster; yield how to reach it; stop and delete it."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL is not installed: CI must test the PostgreSQL target")
        pytest.skip("PostgreSQL is not installed (Debian: apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="event-analytics-pg-"))
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    password = secrets.token_urlsafe(24)
    (root / "pwfile").write_text(password + "\n")
    if os.geteuid() == 0:
        shutil.chown(root, SERVICE_USER)
        for path in (sockets, root / "pwfile"):
            shutil.chown(path, SERVICE_USER)
    port = free_loopback_port()
    log = root / "server.log"
    try:
        subprocess.run(
            _as_service_user(
                [
                    str(bin_dir / "initdb"),
                    "--pgdata",
                    str(data),
                    "--username",
                    "event_analytics",
                    "--pwfile",
                    str(root / "pwfile"),
                    "--auth",
                    "scram-sha-256",
                    "--encoding",
                    "UTF8",
                    "--no-instructions",
                ]
            ),
            check=True,
            capture_output=True,
            text=True,
        )
        subprocess.run(
            _as_service_user(
                [
                    str(bin_dir / "pg_ctl"),
                    "--pgdata",
                    str(data),
                    "--log",
                    str(log),
                    "--wait",
                    "--timeout",
                    "120",
                    "-o",
                    f"-c listen_addresses=127.0.0.1 -c port={port} "
                    f"-c unix_socket_directories={sockets} -c fsync=off "
                    "-c shared_preload_libraries=pg_stat_statements",
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
            text=True,
        )
    except subprocess.CalledProcessError as error:
        server_log = log.read_text() if log.exists() else ""
        _stop(bin_dir, root)
        raise RuntimeError(
            f"could not start PostgreSQL: {error.stderr}\n{error.stdout}\n{server_log}"
        ) from error
    try:
        yield PostgresServer("127.0.0.1", port, "event_analytics", password, "postgres")
    finally:
        _stop(bin_dir, root)


def _stop(bin_dir: Path, root: Path) -> None:
    """Stop the cluster under `root` if it runs, then delete it."""
    data = root / "data"
    try:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                _as_service_user(
                    [str(bin_dir / "pg_ctl"), "--pgdata", str(data), "--mode", "immediate", "stop"]
                ),
                capture_output=True,
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)
