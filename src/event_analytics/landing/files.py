"""One landed file: how it is named, fingerprinted, recognised and decompressed."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO

EVENT_FILE_SUFFIXES = (".json", ".jsonl", ".ndjson")


class CorruptFileError(Exception):
    """A landed file that cannot be read as a whole (e.g. a truncated gzip stream)."""


@dataclass(frozen=True)
class LandedFile:
    """One file in a day's landing folder, identified by its path relative to the root.

    `relative_path` is `events/date=D/<name>` wherever the landing zone lives (a folder or a
    bucket and prefix), so the `source_file` the tables record does not depend on it. `etag`
    is an S3 object's entity tag (empty for a local file).
    """

    day: dt.date
    relative_path: str
    size_bytes: int
    modified_ns: int
    etag: str = ""

    @property
    def is_gzip(self) -> bool:
        return self.relative_path.endswith(".gz")

    def fingerprint(self) -> str:
        """What changes when the file is replaced or rewritten in place.

        S3 keeps modification times in whole seconds, so an object rewritten with as many
        bytes within the same second differs only in its ETag. A local file has none, and its
        fingerprint stays what it always was: digests recorded by earlier runs still match.
        """
        listed = f"{self.relative_path}:{self.size_bytes}:{self.modified_ns}"
        return f"{listed}:{self.etag}" if self.etag else listed


def folder_digest(files: Sequence[LandedFile]) -> str:
    """A short digest of a day folder's listing: changes whenever a file is added, removed,
    replaced or rewritten in place."""
    listing = "|".join(f.fingerprint() for f in files)
    return hashlib.sha256(listing.encode()).hexdigest()[:16]


def is_event_file(name: str) -> bool:
    """Whether the landing-zone contract says a file name holds events."""
    if name.startswith((".", "_")):
        return False
    stem = name.removesuffix(".gz")
    return stem.endswith(EVENT_FILE_SUFFIXES)


def decode_file(landed: LandedFile, data: bytes) -> bytes:
    """Decompress when gzipped; raise `CorruptFileError` naming what is wrong."""
    if not landed.is_gzip:
        return data
    if not data:
        # Zero bytes is not a gzip stream: most likely a producer's write that never finished.
        raise CorruptFileError(f"{landed.relative_path} is empty, not a gzip stream")
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as error:
        raise CorruptFileError(f"cannot decompress {landed.relative_path}: {error}") from error


def line_chunks(stream: BinaryIO, chunk_bytes: int) -> Iterator[memoryview]:
    """The stream's bytes in pieces of about `chunk_bytes`, each ending with a whole line
    (after its `\n`), except the last, which ends where the stream does.

    A line is never split between two pieces; one longer than `chunk_bytes` makes its piece
    as long as the line. Pieces are views into the bytes read, not copies.
    """
    carry = b""
    while block := stream.read(chunk_bytes):
        data = carry + block if carry else block
        cut = data.rfind(b"\n") + 1
        if cut == 0:  # no line ends in it yet: read on
            carry = data
            continue
        view = memoryview(data)
        yield view[:cut]
        carry = bytes(view[cut:])
    if carry:
        yield memoryview(carry)


def decoded_stream(landed: LandedFile, raw: BinaryIO) -> BinaryIO:
    """The file's content as a stream: decompressed on the fly when gzipped."""
    if not landed.is_gzip:
        return raw
    if landed.size_bytes == 0:
        # Zero bytes is not a gzip stream: most likely a producer's write that never finished.
        raise CorruptFileError(f"{landed.relative_path} is empty, not a gzip stream")
    return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]


GZIP_ERRORS = (OSError, EOFError, zlib.error)
