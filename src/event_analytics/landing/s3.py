"""A landing zone in S3 (or an S3-compatible server): `EVENTS_LANDING_URL=s3://bucket/prefix`.

boto3 finds the endpoint, region and credentials itself, from the standard AWS variables
(`AWS_ENDPOINT_URL`, `AWS_REGION` / `AWS_DEFAULT_REGION`, `AWS_ACCESS_KEY_ID`,
`AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_PROFILE`) and its usual chain after them
(config files, container and instance roles): the platform holds no secret and reads none.

A "folder" is a key prefix ending in `/`; listings use the delimiter `/`, so the day folders
under `events/` and the objects directly in a day folder come back without walking deeper.
Every listing follows S3's pages (1000 keys each). Objects are read whole: the loader's
batching bounds how much is held at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    CredentialRetrievalError,
    HTTPClientError,
    NoCredentialsError,
    PartialCredentialsError,
    ProfileNotFound,
)
from botocore.exceptions import ConnectionError as S3ConnectionError

from event_analytics.landing.storage import StoredFile
from event_analytics.setting_parsers import S3Location
from event_analytics.settings import EVENTS_LANDING_URL, LandingZoneConfigError

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

_CREDENTIALS = (
    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary "
    "credentials), or AWS_PROFILE"
)
# What S3 answers, by error code, when the configuration is wrong rather than the moment.
_NO_BUCKET = {"NoSuchBucket"}
_REFUSED = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidToken",
    "TokenRefreshRequired",
    "InvalidClientTokenId",
}
_DENIED = {"AccessDenied", "AllAccessDisabled"}
_ELSEWHERE = {"PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraint"}
_NO_CREDENTIALS = (
    NoCredentialsError,
    PartialCredentialsError,
    ProfileNotFound,
    CredentialRetrievalError,
)


def _client_config() -> Config:
    """botocore's standard retry mode: transient errors (throttling, 5xx, connections refused
    or reset) are retried with exponential backoff and jitter, `AWS_MAX_ATTEMPTS` times in all
    (default 3). A connection that cannot be made fails after 10 s rather than botocore's 60,
    so an endpoint that swallows packets is reported in seconds, not minutes."""
    # A new Config for each client: botocore writes the attempts it resolved from the
    # environment into the one it is given, which would freeze them for every later client.
    return Config(retries={"mode": "standard"}, connect_timeout=10, read_timeout=60)


def _shown_endpoint(url: str) -> str:
    """The endpoint as messages may show it: scheme, host and port only (no user or path)."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


def _modified_ns(last_modified: dt.datetime) -> int:
    """S3's LastModified as exact nanoseconds since the epoch (no float in between)."""
    return (last_modified - _EPOCH) // dt.timedelta(microseconds=1) * 1000


class S3Storage:
    """The objects under `s3://bucket/prefix/events/`, listed and read through boto3."""

    def __init__(self, location: S3Location, page_size: int = 1000) -> None:
        self.location = location
        self.page_size = page_size  # S3 returns at most 1000 keys a page whatever is asked
        self._client: Any = None

    @property
    def client(self) -> Any:
        """One S3 client per storage: boto3 resolves the AWS variables when it is made."""
        if self._client is None:
            try:
                self._client = boto3.session.Session().client("s3", config=_client_config())
            except (BotoCoreError, ValueError) as error:
                raise LandingZoneConfigError(self._cannot_make_client(error)) from None
        return self._client

    def check(self) -> None:
        """One LIST of at most one key under `events/`: it fails unless the endpoint answers,
        the credentials are accepted, the bucket exists and the prefix may be listed. A prefix
        with nothing under it yet is an empty landing zone, not an error."""
        try:
            self.client.list_objects_v2(
                Bucket=self.location.bucket, Prefix=self.location.key("events/"), MaxKeys=1
            )
        except (BotoCoreError, ClientError) as error:
            raise LandingZoneConfigError(self._explain(error) or self._unexplained(error)) from None

    def day_folder_names(self) -> list[str]:
        base = self.location.key("events/")
        return [
            entry["Prefix"][len(base) : -1]
            for page in self._pages(base)
            for entry in page.get("CommonPrefixes", [])
        ]

    def day_files(self, folder_name: str) -> list[StoredFile]:
        base = self.location.key(f"events/{folder_name}/")
        return [
            StoredFile(
                name=entry["Key"][len(base) :],
                size_bytes=entry["Size"],
                modified_ns=_modified_ns(entry["LastModified"]),
                etag=entry["ETag"].strip('"'),
            )
            for page in self._pages(base)
            for entry in page.get("Contents", [])
            if entry["Key"] != base  # the empty "folder" object a console creates
        ]

    def read_bytes(self, relative_path: str) -> bytes:
        with self._explained():
            answer = self.client.get_object(
                Bucket=self.location.bucket, Key=self.location.key(relative_path)
            )
            content: bytes = answer["Body"].read()
        return content

    def open(self, relative_path: str) -> BinaryIO:
        with self._explained():
            answer = self.client.get_object(
                Bucket=self.location.bucket, Key=self.location.key(relative_path)
            )
        body: BinaryIO = answer["Body"]  # botocore's StreamingBody reads in pieces
        return body

    def _pages(self, prefix: str) -> Iterator[dict[str, Any]]:
        paginator = self.client.get_paginator("list_objects_v2")
        with self._explained():
            yield from paginator.paginate(
                Bucket=self.location.bucket,
                Prefix=prefix,
                Delimiter="/",
                PaginationConfig={"PageSize": self.page_size},
            )

    @contextmanager
    def _explained(self) -> Iterator[None]:
        """Turn a configuration problem into one `LandingZoneConfigError`; let others (a key
        deleted while it was read, a server error after the retries) pass as they are."""
        try:
            yield
        except (BotoCoreError, ClientError) as error:
            explanation = self._explain(error)
            if explanation is None:
                raise
            raise LandingZoneConfigError(explanation) from None

    def _where(self) -> str:
        return f"{EVENTS_LANDING_URL.env_var} points at {self.location.url}"

    def _endpoint(self) -> str:
        return _shown_endpoint(self.client.meta.endpoint_url) if self._client else "S3"

    def _explain(self, error: BotoCoreError | ClientError) -> str | None:
        """One line naming what is wrong and the variables that fix it, or None when the error
        says nothing about the configuration. Never a secret: only error codes and class
        names are quoted, never a message that might echo a request."""
        if isinstance(error, ClientError):
            return self._explain_answer(error)
        if isinstance(error, S3ConnectionError | HTTPClientError):
            return (
                f"{self._where()}, but cannot reach the S3 endpoint {self._endpoint()} "
                f"({type(error).__name__}): check AWS_ENDPOINT_URL (unset it for AWS itself), "
                "AWS_REGION (or AWS_DEFAULT_REGION) and the network."
            )
        if isinstance(error, _NO_CREDENTIALS):
            return (
                f"{self._where()}, but no AWS credentials were found ({type(error).__name__}): "
                f"set {_CREDENTIALS}."
            )
        return None

    def _explain_answer(self, error: ClientError) -> str | None:
        code = str(error.response.get("Error", {}).get("Code", ""))
        bucket = self.location.bucket
        if code in _NO_BUCKET:
            return (
                f"{self._where()}, but the bucket {bucket} does not exist at "
                f"{self._endpoint()}: create it, or correct the bucket in "
                f"{EVENTS_LANDING_URL.env_var} (and AWS_ENDPOINT_URL if it is on another "
                "S3 service)."
            )
        if code in _REFUSED:
            return (
                f"{self._where()}, but S3 refused the credentials ({code}): check {_CREDENTIALS}."
            )
        if code in _DENIED:
            return (
                f"{self._where()}, but these credentials may not read it ({code}): allow "
                f"s3:ListBucket on {bucket} for the prefix {self.location.prefix}events/ and "
                f"s3:GetObject on the objects under it, or use other ones ({_CREDENTIALS})."
            )
        if code in _ELSEWHERE:
            return (
                f"{self._where()}, but the bucket is in another region than "
                f"{self.client.meta.region_name} ({code}): set AWS_REGION (or "
                "AWS_DEFAULT_REGION) to the bucket's region."
            )
        return None

    def _cannot_make_client(self, error: BotoCoreError | ValueError) -> str:
        known = self._explain(error) if isinstance(error, BotoCoreError) else None
        # botocore's own message quotes the endpoint, which may hold a user and password.
        return known or (
            f"{self._where()}, but boto3 cannot make an S3 client from the AWS variables "
            f"({type(error).__name__}): AWS_ENDPOINT_URL must be an http:// or https:// URL "
            "(host and port, e.g. http://127.0.0.1:9000) and AWS_REGION a region name such as "
            "eu-west-1; unset them for AWS's defaults."
        )

    def _unexplained(self, error: BotoCoreError | ClientError) -> str:
        if isinstance(error, ClientError):
            what = str(error.response.get("Error", {}).get("Code", "an error"))
        else:
            what = type(error).__name__
        return (
            f"{self._where()}, but listing it at {self._endpoint()} failed ({what}): check "
            f"{EVENTS_LANDING_URL.env_var}, AWS_ENDPOINT_URL, AWS_REGION and {_CREDENTIALS}."
        )
