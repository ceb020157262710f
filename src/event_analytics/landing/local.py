"""A landing zone in a local (or mounted) folder."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from event_analytics.landing.storage import StoredFile
from event_analytics.locations import check_landing_root


class LocalFolder:
    """The folder `EVENTS_LANDING_URL` names, holding `events/date=YYYY-MM-DD/`."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def check(self) -> None:
        check_landing_root(self.root)

    def day_folder_names(self) -> list[str]:
        base = self.root / "events"
        if not base.is_dir():
            return []
        return [child.name for child in base.iterdir() if child.is_dir()]

    def day_files(self, folder_name: str) -> list[StoredFile]:
        folder = self.root / "events" / folder_name
        if not folder.is_dir():
            return []
        files = []
        for path in folder.iterdir():
            if path.is_file():
                stat = path.stat()
                files.append(StoredFile(path.name, stat.st_size, stat.st_mtime_ns))
        return files

    def read_bytes(self, relative_path: str) -> bytes:
        return (self.root / relative_path).read_bytes()

    def open(self, relative_path: str) -> BinaryIO:
        return (self.root / relative_path).open("rb")
