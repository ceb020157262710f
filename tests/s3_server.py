"""A real, private S3 endpoint for the tests: moto's server on a free loopback port.

`python -m moto.server` (moto's `server` extra, a dev dependency) answers the S3 REST API over
real HTTP, so boto3 talks to it exactly as it talks to AWS: signed requests, XML answers,
pagination, ETags. It is started with IAM authentication switched on: the first three calls
create an administrator and its access key, and from then on every request must be signed with
that key, so a wrong secret is refused as AWS refuses it. The server keeps everything in
memory and is stopped at the end of the session; each test gets a bucket of its own.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import boto3
import pytest

from network import free_loopback_port

REGION = "us-east-1"
# Calls moto lets through unsigned before it enforces IAM: create_user, put_user_policy and
# create_access_key below. Every later call needs the administrator's key.
_BOOTSTRAP_CALLS = 3
_ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
_PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent ends
# Standard variables boto3 reads that could point a test at a developer's real account.
AWS_VARIABLES = (
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_MAX_ATTEMPTS",
    "AWS_RETRY_MODE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
)


@dataclass(frozen=True)
class S3Request:
    """One request the server answered, from its log."""

    method: str
    path: str
    query: dict[str, str]


# werkzeug's access log: 127.0.0.1 - - [date] "GET /bucket?list-type=2&prefix=... HTTP/1.1" 200 -
_LOGGED = re.compile(r'"([A-Z]+) (\S+) HTTP/[\d.]+" \d{3}')


@dataclass(frozen=True)
class S3Server:
    """Where the endpoint listens, the administrator's key for it, and its request log."""

    endpoint: str
    access_key_id: str
    secret_access_key: str
    log: Path

    def requests(self) -> list[S3Request]:
        """Every request answered so far, in order (werkzeug logs each as it answers it)."""
        answered = []
        for match in _LOGGED.finditer(self.log.read_text()):
            parts = urlsplit(match.group(2))
            query = dict(parse_qsl(parts.query, keep_blank_values=True))
            answered.append(S3Request(match.group(1), unquote(parts.path), query))
        return answered

    @property
    def environment(self) -> dict[str, str]:
        """The standard AWS variables that point boto3 (and so the platform) at this server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_DEFAULT_REGION": REGION,
        }


def isolate_from_the_machine(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """Unset every AWS variable and hide the user's ~/.aws files, so only what a test sets
    counts; and never ask the EC2 metadata address for credentials (it is not on loopback)."""
    for name in AWS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@dataclass(frozen=True)
class S3Bucket:
    """A fresh bucket on the test server, and the client that fills it (the test's producer)."""

    server: S3Server
    name: str
    client: Any

    def url(self, prefix: str = "landing") -> str:
        """`EVENTS_LANDING_URL` for a landing zone under `prefix` in this bucket."""
        return f"s3://{self.name}/{prefix}" if prefix else f"s3://{self.name}"

    def put(self, key: str, content: bytes | str) -> None:
        body = content.encode() if isinstance(content, str) else content
        self.client.put_object(Bucket=self.name, Key=key, Body=body)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.name, Key=key)

    def head(self, key: str) -> dict[str, Any]:
        answer: dict[str, Any] = self.client.head_object(Bucket=self.name, Key=key)
        return answer

    def upload_folder(self, folder: Path, prefix: str) -> list[str]:
        """Copy every file under `folder` to `prefix/<relative path>`, then give each local
        file the object's modification time, as `shutil.copytree` keeps a copy's: the two
        landing zones are then copies of each other, down to `raw.landed_files`."""
        keys = []
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            key = f"{prefix}/{path.relative_to(folder).as_posix()}"
            self.put(key, path.read_bytes())
            modified = self.head(key)["LastModified"]
            ns = int(modified.timestamp()) * 10**9 + modified.microsecond * 1000
            os.utime(path, ns=(ns, ns))
            keys.append(key)
        return keys


def _wait_until_it_answers(endpoint: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"moto's server exited with {process.returncode}:\n{log.read_text()}"
            )
        try:
            with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    raise RuntimeError(f"moto's server did not answer within 60 s:\n{log.read_text()}")


def _create_administrator(endpoint: str, log: Path) -> S3Server:
    # The bootstrap calls are unsigned as far as moto is concerned; any key works for them.
    iam = boto3.session.Session().client(
        "iam",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="bootstrap",
        aws_secret_access_key="bootstrap",
    )
    iam.create_user(UserName="landing-admin")
    iam.put_user_policy(
        UserName="landing-admin", PolicyName="everything", PolicyDocument=json.dumps(_ALLOW_ALL)
    )
    key = iam.create_access_key(UserName="landing-admin")["AccessKey"]
    return S3Server(endpoint, key["AccessKeyId"], key["SecretAccessKey"], log)


def _die_with_parent() -> None:
    """In the server's process before it starts: have Linux stop it when pytest's process ends,
    even when pytest is killed before its fixtures can stop it (a server left behind would
    hold its port and memory)."""
    libc = ctypes.util.find_library("c")
    if libc:
        ctypes.CDLL(libc).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@contextmanager
def running_s3() -> Iterator[S3Server]:
    """Start moto's S3 server on 127.0.0.1 with IAM enforced; yield it; stop it."""
    root = Path(tempfile.mkdtemp(prefix="event-analytics-s3-"))
    log = root / "server.log"
    port = free_loopback_port()
    endpoint = f"http://127.0.0.1:{port}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        "INITIAL_NO_AUTH_ACTION_COUNT": str(_BOOTSTRAP_CALLS),
    }
    with log.open("wb") as output:
        # The server logs every request: into a file, never a pipe nobody reads (a full pipe
        # would block it).
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
    try:
        _wait_until_it_answers(endpoint, process, log)
        yield _create_administrator(endpoint, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)


def fresh_bucket(server: S3Server) -> S3Bucket:
    """A new, empty bucket with a name no other test uses."""
    client = boto3.session.Session().client(
        "s3",
        endpoint_url=server.endpoint,
        region_name=REGION,
        aws_access_key_id=server.access_key_id,
        aws_secret_access_key=server.secret_access_key,
    )
    name = f"landing-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    return S3Bucket(server, name, client)
