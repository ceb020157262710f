"""What every process `make run` starts pays to load the code location.

`dg` commands set DAGSTER_IS_DEV_CLI, which tells dagster-dbt to re-parse the dbt project on
every code load: each `dg launch`, the code server of `dg dev`, and every run it launches paid
`dbt parse` (6-20 s on 2 cores) for a manifest `make setup` had just built.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from event_analytics.dbt.project import DBT_PROJECT_DIR, manifest_is_current, marts_project

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _load_under_dg() -> None:
    """Import the dbt project module in a fresh interpreter, as a `dg` command's code load."""
    subprocess.run(
        [sys.executable, "-c", "import event_analytics.dbt.project"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DAGSTER_IS_DEV_CLI": "1"},
        check=True,
        capture_output=True,
    )


@pytest.mark.slow
def test_a_dg_code_load_does_not_parse_dbt_again_when_the_manifest_is_current() -> None:
    manifest = marts_project.manifest_path
    _load_under_dg()  # builds the manifest if a dbt file changed since it was built
    built = manifest.stat().st_mtime_ns
    _load_under_dg()
    assert manifest.stat().st_mtime_ns == built, "dbt parse ran again for an unchanged project"


def test_the_manifest_is_stale_once_any_dbt_file_is_newer(tmp_path: Path) -> None:
    project = tmp_path / "dbt_project"
    shutil.copytree(
        DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages")
    )
    manifest = project / "target" / "manifest.json"
    assert not manifest_is_current(project, manifest)  # none yet
    manifest.parent.mkdir()
    manifest.write_text("{}")
    newest = max(p.stat().st_mtime for p in project.rglob("*") if p.is_file())
    os.utime(manifest, (newest + 10, newest + 10))
    assert manifest_is_current(project, manifest)

    model = next(project.glob("models/**/*.sql"))
    os.utime(model, (newest + 20, newest + 20))
    assert not manifest_is_current(project, manifest)
    # Files dbt writes itself never make the manifest stale.
    os.utime(model, (newest, newest))
    (project / "logs").mkdir()
    (project / "logs" / "dbt.log").write_text("")
    (project / "target" / "run_results.json").write_text("{}")
    assert manifest_is_current(project, manifest)
