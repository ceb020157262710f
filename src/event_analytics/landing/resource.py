"""The landing zone as a Dagster resource: where producers drop raw event files.

A local (or mounted) folder, or an S3 bucket and prefix, as `EVENTS_LANDING_URL` says; the
assets and the landing sensor only call `check_configuration`, `list_days`, `list_files`,
`read` and `digest`, which mean the same for both (see `landing.storage`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import dagster as dg
from pydantic import Field, PrivateAttr

from event_analytics.landing.files import (
    GZIP_ERRORS,
    CorruptFileError,
    LandedFile,
    decode_file,
    decoded_stream,
    folder_digest,
    is_event_file,
    line_chunks,
)
from event_analytics.landing.local import LocalFolder
from event_analytics.landing.storage import LandingStorage
from event_analytics.setting_parsers import LandingLocation, S3Location
from event_analytics.settings import EVENTS_LANDING_URL, LandingZoneConfigError

__all__ = ["LANDING_DIGESTS", "LandingZoneConfigError", "LandingZoneResource"]

#: Materialization metadata of `raw_events`: the digest of each day folder it loaded, by day.
LANDING_DIGESTS = "landing_digests"

_DAY_FOLDER = re.compile(r"^date=(\d{4}-\d{2}-\d{2})$")


def open_storage(location: LandingLocation) -> LandingStorage:
    """The storage a parsed `EVENTS_LANDING_URL` names."""
    if isinstance(location, S3Location):
        # Imported on use: boto3 takes a moment to load, and a local landing zone needs none.
        from event_analytics.landing.s3 import S3Storage

        return S3Storage(location)
    return LocalFolder(location)


class LandingZoneResource(dg.ConfigurableResource):
    """Raw product events as newline-delimited JSON, one folder per UTC day.

    Layout: `<url>/events/date=YYYY-MM-DD/*.jsonl[.gz]` (see docs/landing-zone.md), where
    `<url>` is a folder or `s3://bucket/prefix`.
    """

    url: str = Field(default=EVENTS_LANDING_URL.default, description=EVENTS_LANDING_URL.description)
    _storage: LandingStorage | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """Fail before any work starts when the landing zone is missing or unreadable."""
        self.check_configuration()

    def check_configuration(self) -> None:
        """Raise `LandingZoneConfigError` naming `EVENTS_LANDING_URL` and the fix, or return.

        A missing *day* folder is a day without events; a missing *root* (a folder, or a
        bucket) is a mistake, and so is an S3 endpoint that does not answer or refuses the
        credentials.
        """
        self.storage().check()

    def root(self) -> LandingLocation:
        """The landing zone's root, parsed as `EVENTS_LANDING_URL` always is: a local folder
        (a path, or a `file://` URL with an empty or `localhost` host, percent-decoded), or an
        `S3Location` for `s3://bucket/prefix`."""
        return EVENTS_LANDING_URL.parse(self.url)

    def storage(self) -> LandingStorage:
        """Where the files are; made once per resource (an S3 client is worth keeping)."""
        if self._storage is None:
            self._storage = open_storage(self.root())
        return self._storage

    def list_days(self) -> list[dt.date]:
        """Every day that has a `date=YYYY-MM-DD` folder, in order; other folders are skipped."""
        days = []
        for name in self.storage().day_folder_names():
            match = _DAY_FOLDER.match(name)
            if match:
                try:
                    days.append(dt.date.fromisoformat(match.group(1)))
                except ValueError:
                    continue
        return sorted(days)

    def list_files(self, day: dt.date) -> list[LandedFile]:
        """The event files of one day, in name order; a missing folder is a day with no files."""
        folder = f"date={day.isoformat()}"
        stored = sorted(self.storage().day_files(folder), key=lambda f: f.name)
        return [
            LandedFile(
                day=day,
                relative_path=f"events/{folder}/{f.name}",
                size_bytes=f.size_bytes,
                modified_ns=f.modified_ns,
                etag=f.etag,
            )
            for f in stored
            if is_event_file(f.name)
        ]

    def read(self, landed: LandedFile) -> bytes:
        """The file's content, decompressed; raises `CorruptFileError` if it cannot be."""
        return decode_file(landed, self.storage().read_bytes(landed.relative_path))

    def read_chunks(self, landed: LandedFile, chunk_bytes: int) -> Iterator[memoryview]:
        """The file's content, decompressed on the fly, in pieces of whole lines of about
        `chunk_bytes` (see `line_chunks`): a file of any size is read in bounded memory.

        Raises `CorruptFileError` when the content cannot be read to its end (a gzip stream
        that is truncated or fails its check): possibly after some pieces were given.
        """
        with self.storage().open(landed.relative_path) as raw:
            stream = decoded_stream(landed, raw)
            try:
                yield from line_chunks(stream, chunk_bytes)
            except GZIP_ERRORS as error:
                if not landed.is_gzip:
                    raise
                raise CorruptFileError(
                    f"cannot decompress {landed.relative_path}: {error}"
                ) from error

    def digest(self, day: dt.date) -> str:
        """The day folder's state (file names, sizes, modification times and, on S3, ETags)
        as a short digest: what the landing sensor compares with what `raw_events` recorded.
        On S3 each call is one LIST of the day's prefix (more for over 1000 objects)."""
        return folder_digest(self.list_files(day))
