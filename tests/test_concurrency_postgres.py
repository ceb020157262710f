"""On PostgreSQL, runs of different days write at the same time; runs of the same day take
turns on the day's advisory lock; nothing is ever half written.

Three `dagster asset materialize` processes start at once (2025-01-01 twice, 2025-01-02 once),
with no concurrency pool (PostgreSQL needs none). To see what each run is doing without
guessing at timings, the test holds a SHARE lock on `raw.events` while they start: a run that
holds its day's lock then waits at its DELETE, in plain sight in `pg_locks`. The moment the
two days' locks are both granted while the second run of 2025-01-01 waits for its day's lock
is the proof; the test then lets go, and every run must succeed with the tables one run per
day gives.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from event_analytics.ingest import RAW_TABLES
from event_analytics.warehouse.postgres_backend import window_lock_key
from event_analytics.warehouse.tables import RAW_EVENTS
from postgres_server import PostgresPlatform, PostgresServer
from test_concurrency import _step_intervals

pytestmark = pytest.mark.slow

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DAYS = (dt.date(2025, 1, 1), dt.date(2025, 1, 2))

_LOCKS = """
SELECT locktype, classid::bigint AS classid, objid::bigint AS objid, granted,
       relation::regclass::text AS relation
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()
"""


def _start_runs(platform: PostgresPlatform, home: Path, days: list[dt.date]) -> list[Any]:
    bin_dir = Path(sys.executable).parent
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        # The password comes from PGPASSWORD, as a deployment would pass it.
        "WAREHOUSE_URL": platform.server.url(platform.database),
        "PGPASSWORD": platform.server.password,
        "EVENTS_LANDING_URL": str(platform.landing_root),
        "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}",
    }
    # What a deployment runs once; on PostgreSQL it creates no pool, and must still succeed.
    prepared = subprocess.run(
        [str(bin_dir / "event-analytics"), "prepare-instance"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert prepared.returncode == 0, prepared.stderr
    return [
        subprocess.Popen(
            [
                str(bin_dir / "dagster"),
                "asset",
                "materialize",
                "-m",
                "event_analytics.definitions",
                "--select",
                "raw_events",
                "--partition",
                day.isoformat(),
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for day in days
    ]


def _wait_for(con: psycopg.Connection[Any], done: Any, procs: list[Any]) -> list[dict[str, Any]]:
    """Poll pg_locks until `done(locks)`, failing if a run exits or 240 s pass."""
    deadline = time.monotonic() + 240
    while True:
        with con.cursor(row_factory=psycopg.rows.dict_row) as cur:
            locks = cur.execute(_LOCKS).fetchall()
        if done(locks):
            return locks
        exited = [p for p in procs if p.poll() is not None]
        assert not exited, exited[0].communicate()[0][-3000:]
        assert time.monotonic() < deadline, f"never reached; locks: {locks}"
        time.sleep(0.1)


def _day_locks(locks: list[dict[str, Any]], day: dt.date, granted: bool) -> int:
    classid, objid = window_lock_key(RAW_EVENTS, day)
    return sum(
        1
        for lock in locks
        if lock["locktype"] == "advisory"
        and (lock["classid"], lock["objid"]) == (classid, objid)
        and lock["granted"] is granted
    )


def _all_three_in_place(locks: list[dict[str, Any]]) -> bool:
    waiting_at_delete = sum(
        1
        for lock in locks
        if lock["locktype"] == "relation"
        and lock["relation"] == "raw.events"
        and not lock["granted"]
    )
    return (
        _day_locks(locks, DAYS[0], granted=True) == 1
        and _day_locks(locks, DAYS[1], granted=True) == 1
        and _day_locks(locks, DAYS[0], granted=False) == 1
        and waiting_at_delete == 2
    )


def test_other_days_write_together_the_same_day_takes_turns(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    platform = PostgresPlatform(tmp_path / "platform", postgres)
    platform.generate(DAYS[0], days=2, events_per_day=3000)
    with platform.resources["warehouse"].connect() as session:
        session.create_tables(*RAW_TABLES)
    home = tmp_path / "dagster_home"
    home.mkdir()
    # The project's instance config, without the pool limit DuckDB needs: none is used here.
    shutil.copy(PROJECT_ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")

    with postgres.connect(platform.database) as blocker:
        blocker.execute("BEGIN")
        blocker.execute("LOCK TABLE raw.events IN SHARE MODE")
        procs = _start_runs(platform, home, [DAYS[0], DAYS[0], DAYS[1]])
        try:
            with postgres.connect(platform.database) as watcher:
                _wait_for(watcher, _all_three_in_place, procs)
            blocker.execute("COMMIT")
            outputs = [p.communicate(timeout=300)[0] for p in procs]
        finally:
            for p in procs:  # never leave a run behind, even when the test fails
                if p.poll() is None:
                    p.kill()
    for proc, output in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, output[-3000:]

    # The two days' steps overlapped in time: neither waited for the other.
    steps = [(start, end) for start, end, step in _step_intervals(home) if step == "raw_events"]
    assert len(steps) == 3
    assert any(
        a_start < b_end and b_start < a_end
        for i, (a_start, a_end) in enumerate(steps)
        for b_start, b_end in steps[i + 1 :]
    )

    reference = PostgresPlatform(tmp_path / "reference", postgres)
    shutil.copytree(platform.landing_root, reference.landing_root, dirs_exist_ok=True)
    for day in DAYS:
        assert reference.materialize(partition=day.isoformat(), assets=["raw_events"]).success
    assert platform.snapshot() == reference.snapshot()


def test_a_reader_sees_the_old_day_until_the_new_one_commits(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    """Another process (another connection) reads while a replace is half done."""
    from event_analytics.warehouse import faults

    platform = PostgresPlatform(tmp_path, postgres)
    platform.generate(DAYS[1], days=1, events_per_day=2000)
    assert platform.materialize(partition=DAYS[1].isoformat(), assets=["raw_events"]).success
    [(before,)] = platform.rows("SELECT count(*) FROM raw.events")
    extra = platform.landing_root / "events" / f"date={DAYS[1]}" / "more.jsonl"
    extra.write_text(
        '{"event_id":"x1","user_id":"u","event_type":"page_view",'
        '"occurred_at":"2025-01-02T01:00:00Z"}\n'
    )
    seen: list[Any] = []

    def read_when_half_done(point: str) -> None:
        if point == "after delete raw.landed_files":  # every raw table's window deleted
            seen.extend(platform.rows("SELECT count(*) FROM raw.events"))

    with faults.installed(read_when_half_done):
        assert platform.materialize(partition=DAYS[1].isoformat(), assets=["raw_events"]).success
    assert seen == [(before,)], "a reader saw a partial partition"
    assert platform.rows("SELECT count(*) FROM raw.events") == [(before + 1,)]


def test_the_runs_record_no_pool(postgres: PostgresServer) -> None:
    """On PostgreSQL the platform's writers claim no pool (the code location reads
    WAREHOUSE_URL when it loads, so this is checked in a fresh process)."""
    env = {**os.environ, "WAREHOUSE_URL": postgres.url()}
    code = (
        "from event_analytics.definitions import defs\n"
        "d = defs()\n"
        "pools = set().union(*(n.pools or set() for n in d.resolve_asset_graph().asset_nodes))\n"
        "print(sorted(pools))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"
