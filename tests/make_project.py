"""`make` targets run for real, in a copy of the checkout that keeps its state to itself.

A test's copy links the checkout's code, dbt project and environments, and has its own
`data/` (landing zone, warehouse) and `dagster_home/` (the instance, from the checkout's
`dagster.yaml`), as a fresh clone after `make setup` would. `make` runs there with `-o setup`:
the environment is the one this test session runs in (`make test` set it up), and a test must
never re-sync it.

`Served` starts a long-running target (`make run`, `make serve`) in a process group of its own,
as a terminal or a shell's `&` would, and finds every process it started, so a test can stop it
the way a person does and see that nothing is left behind.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from event_analytics.settings import SETTINGS

PROJECT_ROOT = Path(__file__).resolve().parents[1]
LINKED = ("Makefile", "pyproject.toml", "uv.lock", "workspace.yaml", "src", "dbt_project")
ENVIRONMENTS = (".venv", ".tools")
# What an outer `make test` passes down to any make it runs (its flags, its variables such as
# V=1): the copy's make starts from its own defaults instead.
MAKE_VARIABLES = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"}


def project_copy(root: Path, makefile: str | None = None) -> Path:
    """A checkout at `root` with state of its own; `makefile` replaces the Makefile's text."""
    root.mkdir(parents=True)
    for name in LINKED + ENVIRONMENTS:
        (root / name).symlink_to(PROJECT_ROOT / name)
    if makefile is not None:
        (root / "Makefile").unlink()
        (root / "Makefile").write_text(makefile)
    (root / "dagster_home").mkdir()
    shutil.copy(PROJECT_ROOT / "dagster_home" / "dagster.yaml", root / "dagster_home")
    return root


def make_environment() -> dict[str, str]:
    """This process's environment without what configures the platform or Dagster: the copy
    runs on its defaults (`data/landing`, `data/warehouse.duckdb`, its `dagster_home/`)."""
    names = {setting.env_var for setting in SETTINGS} | MAKE_VARIABLES | {"VIRTUAL_ENV"}
    return {
        name: value
        for name, value in os.environ.items()
        if name not in names and not name.startswith("DAGSTER_")
    }


def make(project: Path, *arguments: str, timeout: float = 900) -> str:
    """Run `make -o setup ARGUMENTS` in `project`; its output, or a failure showing it."""
    done = subprocess.run(
        ["make", "-o", "setup", *arguments],
        cwd=project,
        env=make_environment(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"make {' '.join(arguments)} failed:\n{done.stdout[-6000:]}"
    return done.stdout


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _ignore_sigint() -> None:
    """What a shell does to a job it starts with `&` (no job control): ignore SIGINT."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@dataclass
class Served:
    """A long-running `make` target in a process group of its own, its output in a file."""

    project: Path
    arguments: tuple[str, ...]
    background: bool = False
    log_path: Path = field(init=False)
    process: subprocess.Popen[bytes] | None = None
    seen: dict[int, psutil.Process] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.log_path = self.project / "make-output.log"

    def start(self) -> None:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                ["make", "-o", "setup", *self.arguments],
                cwd=self.project,
                env=make_environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, as a terminal's job
                preexec_fn=_ignore_sigint if self.background else None,
            )

    @property
    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_ui(self, port: int, seconds: float = 600) -> str:
        """The UI's URL, once it answers on `port`."""
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + seconds
        while True:
            self.track()
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"{url}/server_info", timeout=2),
            ):
                return url
            assert self.process is not None
            assert self.process.poll() is None, f"make exited:\n{self.output[-6000:]}"
            assert time.monotonic() < deadline, f"no UI after {seconds} s:\n{self.output[-6000:]}"
            time.sleep(1)

    def track(self) -> list[psutil.Process]:
        """Every process `make` started, alive now, remembered for `left_running`."""
        assert self.process is not None
        with contextlib.suppress(psutil.NoSuchProcess):
            for child in psutil.Process(self.process.pid).children(recursive=True):
                self.seen.setdefault(child.pid, child)
        # dg dev runs in a session of its own: find its tree through the supervisor's.
        for process in list(self.seen.values()):
            with contextlib.suppress(psutil.NoSuchProcess):
                for child in process.children(recursive=True):
                    self.seen.setdefault(child.pid, child)
        return [p for p in self.seen.values() if _alive(p)]

    def signal_group(self, signum: int) -> None:
        """What Ctrl-C (SIGINT) or `kill -TERM -PGID` does: the signal to the whole job."""
        assert self.process is not None
        self.track()
        os.killpg(self.process.pid, signum)

    def wait_stopped(self, seconds: float = 180) -> int:
        assert self.process is not None
        return self.process.wait(timeout=seconds)

    def left_running(self, seconds: float = 30) -> list[str]:
        """The processes `make` started that still run `seconds` after it exited."""
        deadline = time.monotonic() + seconds
        while True:
            alive = [p for p in self.seen.values() if _alive(p)]
            if not alive or time.monotonic() > deadline:
                return [_describe(p) for p in alive]
            time.sleep(0.5)

    def kill_everything(self) -> None:
        """Clean-up after a failed test: nothing of this job survives the test."""
        for process in [*self.seen.values()]:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=60)


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _describe(process: psutil.Process) -> str:
    try:
        return f"{process.pid}: {' '.join(process.cmdline())[:160]}"
    except psutil.Error:
        return str(process.pid)


@contextlib.contextmanager
def served(project: Path, *arguments: str, background: bool = False) -> Iterator[Served]:
    job = Served(project, arguments, background=background)
    job.start()
    try:
        yield job
    finally:
        job.kill_everything()
