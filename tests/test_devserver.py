"""The pieces `make run` is made of, each on real processes and real files.

- The supervisor: a command in its own process group, stopped by SIGTERM (in the background,
  where SIGINT is ignored) or SIGINT (Ctrl-C), with whatever it left behind killed, its output
  relayed without colour codes when not on a terminal.
- `make land`: a new file the platform loads as it is, growing today's figures by exactly what
  it says.
- The banner's spans of days.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
import time
from decimal import Decimal
from pathlib import Path

import psutil
import pytest

from event_analytics.devserver.banner import day_span
from event_analytics.devserver.land import land
from event_analytics.sample_data import RefusedDestinationError
from harness import Platform

# A command with a worker that shrugs off SIGINT and SIGTERM (as a stuck process would); the
# command itself stops on Ctrl-C, or not at all with `stubborn`.
COMMAND = textwrap.dedent(
    """
    import os, signal, subprocess, sys, time
    stubborn = sys.argv[1] == "stubborn"
    worker = subprocess.Popen([sys.executable, "-c", (
        "import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); "
        "signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)")])
    if stubborn:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:  # before anything is printed: the test signals once it has read it
        print(f"pids {os.getpid()} {worker.pid}", flush=True)
        print("\\x1b[32mgreen\\x1b[0m", flush=True)
        time.sleep(600)
    except KeyboardInterrupt:
        print("command interrupted", flush=True)
    """
)
# What the Makefile does with `dg dev`, with a command of ours and short grace periods.
DRIVER = textwrap.dedent(
    """
    import sys
    from event_analytics.devserver import supervisor
    supervisor.TERMINATE_GRACE_SECONDS = 2
    job = supervisor.Supervisor([sys.executable, "-c", sys.argv[1], sys.argv[2]])
    job.install_signal_handlers()
    job.start()
    job.wait_until_done()
    sys.exit(job.stop(interrupt_grace=float(sys.argv[3])))
    """
)


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _supervise(mode: str, background: bool, interrupt_grace: float = 30) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", DRIVER, COMMAND, mode, str(interrupt_grace)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a job of its own, as a shell starts one
        preexec_fn=_ignore_sigint if background else None,
    )


def _pids(driver: subprocess.Popen[str]) -> list[int]:
    assert driver.stdout is not None
    line = driver.stdout.readline()
    assert line.startswith("pids "), line
    return [int(pid) for pid in line.split()[1:]]


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _gone(pids: list[int], seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while any(_alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@pytest.mark.parametrize(
    ("background", "signum"),
    [(True, signal.SIGTERM), (False, signal.SIGINT), (False, signal.SIGTERM)],
    ids=["background-sigterm", "ctrl-c", "sigterm"],
)
def test_a_signal_to_the_job_stops_the_command_and_everything_it_left(
    background: bool, signum: int
) -> None:
    driver = _supervise("normal", background)
    pids = _pids(driver)
    assert driver.stdout is not None
    driver.stdout.readline()  # the colour line
    os.killpg(driver.pid, signum)  # the job's group: the supervisor, not the command's own
    out, err = driver.communicate(timeout=60)
    assert driver.returncode == 0, err
    assert "command interrupted" in out  # stopped the way Ctrl-C in a terminal would
    assert _gone(pids), "a process of the command outlived the supervisor"
    assert "Traceback" not in err


def test_without_the_supervisor_a_background_job_ignores_sigint_and_sigterm_alike() -> None:
    """The cause: an inherited "ignore SIGINT", which Dagster then applies to SIGTERM too."""
    script = (
        "import signal, time; "
        "signal.signal(signal.SIGTERM, signal.getsignal(signal.SIGINT)); "  # as Dagster does
        "print('ready', flush=True); time.sleep(600)"
    )
    job = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=_ignore_sigint,
    )
    try:
        assert job.stdout is not None and job.stdout.readline() == "ready\n"
        os.killpg(job.pid, signal.SIGTERM)
        with pytest.raises(subprocess.TimeoutExpired):
            job.wait(timeout=2)
    finally:
        job.kill()
        job.wait()


def test_a_command_that_ignores_ctrl_c_is_terminated_then_killed_with_its_group() -> None:
    driver = _supervise("stubborn", background=False, interrupt_grace=1)
    pids = _pids(driver)
    os.killpg(driver.pid, signal.SIGTERM)
    driver.communicate(timeout=60)
    assert driver.returncode == 128 + signal.SIGTERM  # it had to be terminated
    assert _gone(pids)  # its worker, which ignores SIGTERM too, was killed


def test_colour_codes_are_taken_out_when_the_output_is_not_a_terminal() -> None:
    driver = _supervise("normal", background=False)
    _pids(driver)
    assert driver.stdout is not None
    assert driver.stdout.readline() == "green\n"
    os.killpg(driver.pid, signal.SIGINT)
    out, _ = driver.communicate(timeout=60)
    assert "\x1b" not in out


def test_a_command_that_exits_by_itself_gives_its_status_and_leaves_nothing(
    tmp_path: Path,
) -> None:
    script = tmp_path / "command.py"
    script.write_text(
        "import subprocess, sys\n"
        "worker = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        "print(worker.pid, flush=True)\n"
        "sys.exit(3)\n"
    )
    driver = textwrap.dedent(
        f"""
        import sys
        from event_analytics.devserver import supervisor
        job = supervisor.Supervisor([sys.executable, {str(script)!r}])
        job.install_signal_handlers()
        job.start()
        job.wait_until_done()
        sys.exit(job.stop())
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", driver], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 3
    assert _gone([int(done.stdout.split()[0])])


# --- make land ---------------------------------------------------------------------------


def test_land_adds_exactly_what_it_says_to_todays_figures(tmp_path: Path) -> None:
    platform = Platform(tmp_path)
    today = dt.datetime.now(dt.UTC).date()
    platform.generate(today, days=1, events_per_day=400)
    day = today.isoformat()
    sql = (
        "SELECT events, active_users, purchases, revenue FROM analytics.daily_summary "
        "WHERE date = ?"
    )
    assert platform.materialize(partition=day).success
    before = platform.rows(sql, [today])[0]

    landed = land(platform.landing_root, events=120)
    assert landed.path.parent.name == f"date={day}"
    assert not any(p.name.startswith(".") for p in landed.path.parent.iterdir())
    assert platform.materialize(partition=day).success
    after = platform.rows(sql, [today])[0]

    assert platform.rows(
        "SELECT count(*) FROM raw.rejected_events WHERE source_file LIKE ?",
        [f"%{landed.path.name}"],
    ) == [(0,)]
    assert after[0] - before[0] == landed.events
    assert after[1] - before[1] == landed.users
    assert after[2] - before[2] == landed.purchases
    assert Decimal(after[3]) - Decimal(before[3]) == landed.revenue
    assert landed.purchases > 0


def test_land_writes_only_into_a_sample_landing_zone(tmp_path: Path) -> None:
    real = tmp_path / "real"
    (real / "events").mkdir(parents=True)
    with pytest.raises(RefusedDestinationError, match="make sample"):
        land(real, events=10)
    assert list(real.rglob("*.jsonl")) == []


def test_land_events_occur_today_before_now(tmp_path: Path) -> None:
    platform = Platform(tmp_path)
    now = dt.datetime(2025, 3, 4, 0, 0, 30, tzinfo=dt.UTC)  # thirty seconds into the day
    platform.generate(now.date(), days=1, events_per_day=50)
    landed = land(platform.landing_root, events=50, now=now)
    lines = landed.path.read_text().splitlines()
    assert len(lines) == 50
    assert all('"occurred_at": "2025-03-04T00:00:' in line for line in lines)


# --- the banner -------------------------------------------------------------------------


def test_the_banner_says_which_days_and_how_many_and_any_gap() -> None:
    assert day_span(["2025-01-02"]) == "2025-01-02 (1 day)"
    assert day_span(["2025-01-03", "2025-01-01", "2025-01-02"]) == (
        "2025-01-01 .. 2025-01-03 (3 days)"
    )
    assert day_span(["2025-01-01", "2025-01-04"]) == (
        "2025-01-01 .. 2025-01-04 (2 days, 2 missing in between)"
    )
