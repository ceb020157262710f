"""The landing zone as a Dagster resource: where producers drop raw event files.

Today it is a local (or mounted) folder; the assets and the landing sensor only call
`list_days`, `list_files`, `read` and `digest`, so object storage can take its place without
touching them.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import dagster as dg
from pydantic import Field

from event_analytics.landing.files import LandedFile, decode_file, folder_digest, is_event_file
from event_analytics.settings import EVENTS_LANDING_URL

#: Materialization metadata of `raw_events`: the digest of each day folder it loaded, by day.
LANDING_DIGESTS = "landing_digests"

_DAY_FOLDER = re.compile(r"^date=(\d{4}-\d{2}-\d{2})$")


class LandingZoneConfigError(ValueError):
    """`EVENTS_LANDING_URL` cannot be used as given."""


class LandingZoneResource(dg.ConfigurableResource):
    """Raw product events as newline-delimited JSON, one folder per UTC day.

    Layout: `<url>/events/date=YYYY-MM-DD/*.jsonl[.gz]` (see docs/landing-zone.md).
    """

    url: str = Field(default=EVENTS_LANDING_URL.default, description=EVENTS_LANDING_URL.description)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """Fail before any work starts when the landing zone is missing or unreadable."""
        self.check_configuration()

    def check_configuration(self) -> None:
        """Raise `LandingZoneConfigError` naming `EVENTS_LANDING_URL` and the fix, or return.

        A missing *day* folder is a day without events; a missing *root* is a mistake.
        """
        root = self.root()
        if not root.is_dir():
            raise LandingZoneConfigError(
                f"{EVENTS_LANDING_URL.env_var} points at {root}, which is not a folder: create "
                "it, or point the variable at your landing zone (the folder that holds "
                "events/date=YYYY-MM-DD/)."
            )
        if not os.access(root, os.R_OK | os.X_OK):
            raise LandingZoneConfigError(
                f"{EVENTS_LANDING_URL.env_var} points at {root}, which this process cannot read."
            )

    def root(self) -> Path:
        """The landing zone's local root folder."""
        text = self.url.strip()
        if text.startswith("file://"):
            text = text.removeprefix("file://")
        elif "://" in text:
            scheme = text.split("://", 1)[0]
            raise LandingZoneConfigError(
                f"{EVENTS_LANDING_URL.env_var} uses {scheme}://, which this release cannot read "
                "yet: point it at a local or mounted folder."
            )
        if not text:
            raise LandingZoneConfigError(f"{EVENTS_LANDING_URL.env_var} is empty.")
        return Path(text)

    def events_root(self) -> Path:
        return self.root() / "events"

    def day_folder(self, day: dt.date) -> Path:
        return self.events_root() / f"date={day.isoformat()}"

    def list_days(self) -> list[dt.date]:
        """Every day that has a `date=YYYY-MM-DD` folder, in order; other folders are skipped."""
        base = self.events_root()
        if not base.is_dir():
            return []
        days = []
        for child in base.iterdir():
            match = _DAY_FOLDER.match(child.name)
            if match and child.is_dir():
                try:
                    days.append(dt.date.fromisoformat(match.group(1)))
                except ValueError:
                    continue
        return sorted(days)

    def list_files(self, day: dt.date) -> list[LandedFile]:
        """The event files of one day, in name order; a missing folder is a day with no files."""
        folder = self.day_folder(day)
        if not folder.is_dir():
            return []
        root = self.root()
        files = []
        for path in sorted(folder.iterdir()):
            if not (path.is_file() and is_event_file(path.name)):
                continue
            stat = path.stat()
            files.append(
                LandedFile(
                    day=day,
                    relative_path=path.relative_to(root).as_posix(),
                    size_bytes=stat.st_size,
                    modified_ns=stat.st_mtime_ns,
                )
            )
        return files

    def read(self, landed: LandedFile) -> bytes:
        """The file's content, decompressed; raises `CorruptFileError` if it cannot be."""
        return decode_file(landed, (self.root() / landed.relative_path).read_bytes())

    def digest(self, day: dt.date) -> str:
        """The day folder's state (file names, sizes, modification times) as a short digest:
        what the landing sensor compares with what `raw_events` recorded."""
        return folder_digest(self.list_files(day))
