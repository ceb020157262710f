"""How runs execute as users start them: one process per run, code compiled at install."""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from harness import Platform

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DAY = "2025-01-02"


def _cli_env(tmp_path: Path, platform: Platform) -> dict[str, str]:
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((PROJECT_ROOT / "dagster_home" / "dagster.yaml").read_text())
    bin_dir = Path(sys.executable).parent
    return {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "WAREHOUSE_URL": f"duckdb:///{platform.db_path}",
        "EVENTS_LANDING_URL": str(platform.landing_root),
        "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}",
    }


@pytest.mark.slow
def test_a_cli_run_executes_every_step_and_check_in_one_process(tmp_path: Path) -> None:
    """`dagster asset materialize` with the project's default executor: every asset step and
    every check step of the run reports the same process id, the run's own."""
    platform = Platform(tmp_path / "platform")
    platform.generate(dt.date.fromisoformat(DAY), days=1, events_per_day=500)
    env = _cli_env(tmp_path, platform)
    bin_dir = Path(sys.executable).parent
    subprocess.run([str(bin_dir / "event-analytics"), "prepare-instance"], env=env, check=True)
    done = subprocess.run(
        [
            str(bin_dir / "dagster"),
            "asset",
            "materialize",
            "-m",
            "event_analytics.definitions",
            "--select",
            "raw_events,cleaned_events,daily_summary",
            "--partition",
            DAY,
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        [run] = instance.get_runs()
        assert run.status == dg.DagsterRunStatus.SUCCESS
        steps: dict[str, int | None] = {}
        checks: set[str] = set()
        for record in instance.all_logs(run.run_id):
            event = record.dagster_event
            if event is None:
                continue
            if event.event_type == dg.DagsterEventType.STEP_START and event.step_key:
                steps[event.step_key] = event.pid
            if event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
                checks.add(event.asset_check_evaluation_data.check_name)
    assert {"raw_events", "cleaned_events", "daily_summary"} <= steps.keys()
    # Every check of the three assets ran in the same run, hence in the same process.
    assert checks == {
        "rejected_ratio_below_threshold",
        "volume_within_trailing_median_band",
        "event_id_unique_per_day",
        "user_id_not_null",
        "revenue_not_negative",
        "reconciles_with_cleaned_events",
        "partition_deadline",
    }
    assert None not in steps.values() and len(set(steps.values())) == 1, steps


@pytest.mark.parametrize(
    "module",
    [
        "event_analytics.definitions",
        "event_analytics.validator",
        "dagster",
        "dagster_dbt",
        "duckdb",
    ],
)
def test_installed_code_is_compiled(module: str) -> None:
    """`make setup` compiles bytecode: no run pays for compiling source (this machine sets
    PYTHONDONTWRITEBYTECODE, so nothing compiled at import time is ever kept)."""
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None
    cached = importlib.util.cache_from_source(spec.origin)
    assert Path(cached).is_file(), f"{module}: no bytecode at {cached}; run `make setup`"
    assert Path(cached).stat().st_mtime >= Path(spec.origin).stat().st_mtime
