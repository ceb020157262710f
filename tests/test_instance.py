"""`prepare-instance`: every pool the platform claims exists at one slot before the first run."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from event_analytics.cli import main
from event_analytics.definitions import defs as load_defs
from event_analytics.instance import (
    POOL_LIMITS,
    InstanceConfigError,
    pool_limits,
    prepare_instance,
)
from event_analytics.policies import DUCKDB_POOL, WAREHOUSE_BACKEND

PROJECT_CONFIG = Path(__file__).resolve().parents[1] / "dagster_home" / "dagster.yaml"


def _home(tmp_path: Path, config: str | None) -> Path:
    home = tmp_path / "dagster_home"
    home.mkdir()
    if config is not None:
        (home / "dagster.yaml").write_text(config)
    return home


def test_prepare_creates_the_pool_at_one_slot_and_is_idempotent(tmp_path: Path) -> None:
    home = _home(tmp_path, PROJECT_CONFIG.read_text())
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert DUCKDB_POOL not in {p.name for p in instance.event_log_storage.get_pool_limits()}
        assert prepare_instance(instance) == {DUCKDB_POOL: 1}
        assert prepare_instance(instance) == {DUCKDB_POOL: 1}
        info = instance.event_log_storage.get_concurrency_info(DUCKDB_POOL)
        assert (info.slot_count, info.limit, info.using_default_limit) == (1, 1, True)


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ("telemetry:\n  enabled: false\n", "no limit"),
        ("concurrency:\n  pools:\n    default_limit: 2\n", "2 slots"),
    ],
)
def test_an_instance_that_would_let_writers_collide_is_refused(
    tmp_path: Path, config: str, expected: str
) -> None:
    home = _home(tmp_path, config)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        with pytest.raises(InstanceConfigError) as error:
            prepare_instance(instance)
        # Refused before it creates anything: a later, fixed config starts clean.
        assert instance.event_log_storage.get_pool_limits() == []
    assert expected in str(error.value)
    assert "default_limit: 1" in str(error.value)


def test_an_existing_pool_with_more_slots_is_refused_with_the_fix(tmp_path: Path) -> None:
    home = _home(tmp_path, PROJECT_CONFIG.read_text())
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.event_log_storage.set_concurrency_slots(DUCKDB_POOL, 2)
        with pytest.raises(InstanceConfigError, match="dagster instance concurrency set duckdb 1"):
            prepare_instance(instance)
        # An operator's setting is reported, never silently changed.
        assert instance.event_log_storage.get_concurrency_info(DUCKDB_POOL).slot_count == 2


def test_every_pool_the_definitions_claim_is_prepared() -> None:
    definitions = load_defs()
    claimed: set[str] = set()
    for node in definitions.resolve_asset_graph().asset_nodes:
        claimed |= node.pools or set()
    for check in definitions.asset_checks or []:
        assert isinstance(check, dg.AssetChecksDefinition)
        claimed |= check.node_def.pools
    # The definitions load for one backend (WAREHOUSE_URL's; DuckDB here): its writers claim
    # exactly the pool prepared for it, and every pool prepared is one of the known pools.
    assert claimed == set(pool_limits(WAREHOUSE_BACKEND)) == {DUCKDB_POOL}
    assert claimed <= set(POOL_LIMITS)


def test_cli_prepares_the_instance_in_dagster_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home = _home(tmp_path, PROJECT_CONFIG.read_text())
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    assert main(["prepare-instance"]) == 0
    assert "pool 'duckdb': 1 slot(s)" in capsys.readouterr().out
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.event_log_storage.get_concurrency_info(DUCKDB_POOL).slot_count == 1


def test_cli_without_dagster_home_says_what_to_set(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    assert main(["prepare-instance"]) == 1
    assert "DAGSTER_HOME is not set" in capsys.readouterr().err
