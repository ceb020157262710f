"""A PostgreSQL server for the ``project_postgres`` contender.

``BENCH_POSTGRES_URL`` (``postgresql://user@host:port/database``, the password in the URL or
``PGPASSWORD``) names a server to use; each run gets a fresh database on it, created from that
connection. Without it, a private server is started once per bench process from the machine's
PostgreSQL binaries (Debian: ``apt-get install postgresql``), in a temporary folder, on a free
loopback port, with a random password, and stopped and deleted when the bench exits. Its
settings are PostgreSQL's defaults but for ``fsync=off`` (a throw-away cluster; the figures
are then a server's compute, not its disk's).
"""

from __future__ import annotations

import atexit
import itertools
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from bench.project import BenchError, ProjectSite

URL_ENV = "BENCH_POSTGRES_URL"
_SERVICE_USER = "postgres"  # initdb refuses to run as root: the cluster then runs as this user
_NUMBERS = itertools.count(1)


@dataclass(frozen=True)
class Server:
    """Where to log in: a URL without its password, and the password (given as PGPASSWORD)."""

    url: str
    password: str

    def database_url(self, database: str) -> str:
        parts = urlsplit(self.url)
        return urlunsplit(parts._replace(path=f"/{database}"))

    def fresh_database(self) -> str:
        """A new, empty database on the server; its name."""
        import psycopg

        name = f"bench_{os.getpid()}_{next(_NUMBERS)}"
        parts = urlsplit(self.url)
        with psycopg.connect(
            host=parts.hostname,
            port=parts.port or 5432,
            user=parts.username,
            password=self.password,
            dbname=parts.path.lstrip("/") or "postgres",
            autocommit=True,
        ) as con:
            # The name is made here: a plain identifier.
            con.execute(f"CREATE DATABASE {name}")
        return name


@cache
def server() -> Server:
    """The bench's server: ``BENCH_POSTGRES_URL``'s, or a private one started now."""
    given = os.environ.get(URL_ENV)
    if given:
        parts = urlsplit(given)
        password = parts.password or os.environ.get("PGPASSWORD", "")
        netloc = f"{quote(parts.username or '')}@{parts.hostname}:{parts.port or 5432}"
        return Server(urlunsplit(parts._replace(netloc=netloc)), password)
    return _private_server()


def _bin_dir() -> Path:
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if candidates:
        return candidates[-1].parent
    initdb = shutil.which("initdb")
    if initdb is None:
        raise BenchError(
            f"project_postgres needs a PostgreSQL server: set {URL_ENV}, or install "
            "PostgreSQL's binaries (Debian: apt-get install postgresql)"
        )
    return Path(initdb).parent


def _as_service_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", _SERVICE_USER, "--", *command] if os.geteuid() == 0 else command


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _private_server() -> Server:
    bin_dir = _bin_dir()
    root = Path(tempfile.mkdtemp(prefix="bench-pg-"))
    data, sockets, pwfile = root / "data", root / "sockets", root / "pwfile"
    sockets.mkdir()
    password = secrets.token_urlsafe(24)
    pwfile.write_text(password + "\n")
    if os.geteuid() == 0:
        for path in (root, sockets, pwfile):
            shutil.chown(path, _SERVICE_USER)
    port = _free_port()
    initdb = [str(bin_dir / "initdb"), "--pgdata", str(data), "--username", "bench"]
    initdb += ["--pwfile", str(pwfile), "--auth", "scram-sha-256", "--encoding", "UTF8"]
    options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={sockets}"
    start = [str(bin_dir / "pg_ctl"), "--pgdata", str(data), "--log", str(root / "server.log")]
    start += ["--wait", "-o", f"{options} -c fsync=off", "start"]
    try:
        for command in (initdb, start):
            subprocess.run(_as_service_user(command), check=True, capture_output=True, text=True)
    except subprocess.CalledProcessError as error:
        shutil.rmtree(root, ignore_errors=True)
        raise BenchError(f"could not start PostgreSQL: {error.stderr}") from error

    def stop() -> None:
        stop_cmd = [str(bin_dir / "pg_ctl"), "--pgdata", str(data), "--mode", "fast", "stop"]
        subprocess.run(_as_service_user(stop_cmd), capture_output=True, check=False)
        shutil.rmtree(root, ignore_errors=True)

    atexit.register(stop)
    return Server(f"postgresql://bench@127.0.0.1:{port}/postgres", password)


class PostgresSite(ProjectSite):
    """A fresh deployment of the project whose warehouse is a fresh database on `server`."""

    def __init__(self, folder: Path, landing: Path, server: Server, database: str) -> None:
        super().__init__(folder, landing)
        self.server = server
        self.database = database

    def env(self) -> dict[str, str]:
        return super().env() | {
            "WAREHOUSE_URL": self.server.database_url(self.database),
            "PGPASSWORD": self.server.password,
        }

    def rows(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        """The rows of a query, through the project's own PostgreSQL session (translated)."""
        from event_analytics.setting_parsers import warehouse_target
        from event_analytics.warehouse.postgres_backend import PostgresWarehouse, connect_postgres

        target = replace(
            warehouse_target(self.server.database_url(self.database)),
            password=self.server.password,
        )
        session = PostgresWarehouse(connect_postgres(target, read_only=True), target)
        try:
            table = session.fetch_arrow(sql, params)
        finally:
            session.close()
        return list(zip(*(column.to_pylist() for column in table.columns), strict=True))
