"""Which code location to examine, as `-m`, `-f`, `-a` and `-d` name it (no Dagster import)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CodeLocationRef:
    """A module (`-m`) or a file (`-f`), optionally one attribute of it (`-a`), with imports
    resolved from `working_directory` (default: the current directory)."""

    module: str | None = None
    file: Path | None = None
    attribute: str | None = None
    working_directory: Path | None = None

    @property
    def target(self) -> str:
        """The location as a finding's target: `module:pkg.defs` or `file:defs.py`."""
        return f"module:{self.module}" if self.module else f"file:{Path(str(self.file)).name}"
