"""Where a landing zone's files live: a local folder or an S3 bucket and prefix.

`LandingZoneResource` knows the contract (which day folders and file names count, how files
are fingerprinted and decoded) and picks the storage from `EVENTS_LANDING_URL`; a
`LandingStorage` only lists and reads, with paths relative to the landing root
(`landing.local.LocalFolder`, `landing.s3.S3Storage`). The same few operations for both keep
every caller of the resource unaware of where the files are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO, Protocol


@dataclass(frozen=True)
class StoredFile:
    """A file (or object) directly in a day folder, as its storage lists it.

    `modified_ns` is nanoseconds since the epoch (whole seconds on S3); `etag` is an S3
    object's entity tag, without quotes, and empty for a local file.
    """

    name: str
    size_bytes: int
    modified_ns: int
    etag: str = ""


class LandingStorage(Protocol):
    """The operations the landing resource needs from where the files are."""

    def check(self) -> None:
        """Raise `LandingZoneConfigError` naming what to fix unless the root can be read."""

    def day_folder_names(self) -> list[str]:
        """The names of the folders directly under `events/` (any name; the caller filters)."""

    def day_files(self, folder_name: str) -> list[StoredFile]:
        """The files directly in `events/<folder_name>/` (none when it does not exist)."""

    def read_bytes(self, relative_path: str) -> bytes:
        """The whole content, as stored, of the file at `relative_path` under the root."""

    def open(self, relative_path: str) -> BinaryIO:
        """The content, as stored, as a stream to read in pieces (the caller closes it)."""
