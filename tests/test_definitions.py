"""The one entry point loads the way `dagster dev` and `dg` load it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

from event_analytics.definitions import defs

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def test_definitions_validate_loadable() -> None:
    definitions = defs()
    dg.Definitions.validate_loadable(definitions)
    keys = {key.to_user_string() for key in definitions.resolve_all_asset_keys()}
    assert {"raw_events", "cleaned_events", "daily_summary"} <= keys


def test_dg_check_defs_passes() -> None:
    bin_dir = Path(sys.executable).parent
    completed = subprocess.run(
        [str(bin_dir / "dg"), "check", "defs"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    assert "All definitions loaded successfully" in completed.stdout + completed.stderr
