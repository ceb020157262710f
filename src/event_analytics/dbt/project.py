"""The marts' dbt project, its manifest and the dbt executable. Nothing else lives here.

`dagster-dbt project prepare-and-package --file <this file>` (run by `make setup`) imports this
module to find the `DbtProject` and build its manifest; it cannot import a module that also
defines `@dbt_assets`, since those need the manifest it is about to build.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from event_analytics.process_environment import environment

# src/event_analytics/dbt/project.py -> the repository root, where `dbt_project/` lives.
DBT_PROJECT_DIR = Path(__file__).resolve().parents[3] / "dbt_project"

# dbt is installed beside the interpreter running Dagster (the project's virtualenv), which is
# not on PATH when nobody activated it (`.venv/bin/dg check defs`, `make serve`).
_BESIDE_PYTHON = Path(sys.executable).with_name("dbt")
DBT_EXECUTABLE = str(_BESIDE_PYTHON) if _BESIDE_PYTHON.is_file() else "dbt"

marts_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)

# Files dbt writes itself, never sources of the manifest.
_DBT_OUTPUT_DIRS = frozenset({"target", "logs", "dbt_packages"})


def manifest_is_current(project_dir: Path, manifest: Path) -> bool:
    """Whether `manifest` exists and was built after every file of the dbt project changed."""
    if not manifest.is_file():
        return False
    built = manifest.stat().st_mtime
    return all(
        path.stat().st_mtime <= built
        for path in project_dir.rglob("*")
        if path.is_file() and path.relative_to(project_dir).parts[0] not in _DBT_OUTPUT_DIRS
    )


# Under `dagster dev` / `dg` commands only, re-parse when a dbt file changed since the manifest
# was built, so that edits to the models show up at once. Not on every code load: `dg` marks
# its `launch`, the code server of `dg dev` and every run that server launches as dev, and
# each paid `dbt parse` (6-20 s here) for an unchanged project. Anywhere else this does
# nothing: production loads the manifest built at install time. dagster-dbt's preparer looks
# `dbt` up on PATH, hence the scoped PATH.
if not manifest_is_current(DBT_PROJECT_DIR, marts_project.manifest_path):
    with environment(
        {"PATH": os.pathsep.join([str(_BESIDE_PYTHON.parent), os.environ.get("PATH", "")])}
    ):
        marts_project.prepare_if_dev()


class DbtManifestMissingError(RuntimeError):
    """The dbt manifest has not been built (a fresh clone without `make setup`)."""


def manifest_path(project: DbtProject = marts_project) -> Path:
    """The manifest the marts' assets are defined from; a clear error when it is missing."""
    path = project.manifest_path
    if not path.is_file():
        raise DbtManifestMissingError(
            f"The dbt manifest {path} does not exist. It is built once at install time: run "
            "`make setup` (or `make dbt-manifest` after changing the dbt project). "
            "`dagster dev` and `dg` commands rebuild it on every load."
        )
    return path
