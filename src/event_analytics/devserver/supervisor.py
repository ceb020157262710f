"""A command in a process group of its own, stopped on Ctrl-C or SIGTERM with nothing left over.

`dg dev` is a tree of processes (the `dg` process, the webserver, the daemon, the code server
and the runs it launches). Started in the background (`make run &`), the tree inherits "ignore
SIGINT", and Dagster makes SIGTERM do whatever SIGINT does, so it ignored both: a TERM to the
process group of `make run` left all 7 processes running. The supervisor fixes that at the
cause:

- the command starts in a new session (its own process group), with the default action
  restored for SIGINT and SIGTERM, so Dagster's own Ctrl-C handling works again;
- the supervisor catches SIGTERM, and SIGINT unless it was started with SIGINT ignored (a
  background job, which Ctrl-C at the terminal must not stop), and then stops the command the
  way Ctrl-C in a terminal would: first its runs in flight (`before_interrupt`), then SIGINT
  to the command itself, then, after a grace period, SIGTERM and SIGKILL to its whole group;
- whatever is left in the group when the command exits is killed too.

The command's output goes through the supervisor, line by line, so that colour codes can be
taken out when the output is not a terminal (Dagster's log formats always colour).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO, BinaryIO

#: An ANSI escape sequence (colours, cursor movement): CSI ... final byte.
ANSI_ESCAPE = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]")

#: How long the command gets to stop after SIGINT (dg dev waits up to 60 s for each of its
#: webserver and daemon), then after SIGTERM to its group, before SIGKILL.
INTERRUPT_GRACE_SECONDS = 90.0
TERMINATE_GRACE_SECONDS = 10.0
_POLL_SECONDS = 0.2


def wants_colour(stream: BinaryIO) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    return stream.isatty() and not os.environ.get("NO_COLOR")


def _restore_default_signals() -> None:
    """Run in the child between fork and exec: undo an inherited "ignore SIGINT"."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


class _Relay(threading.Thread):
    """Copies one of the command's output pipes to ours, line by line."""

    def __init__(self, source: IO[bytes], sink: BinaryIO) -> None:
        super().__init__(daemon=True)
        self.source, self.sink = source, sink
        self.strip = not wants_colour(sink)

    def run(self) -> None:
        for line in iter(self.source.readline, b""):
            if self.strip:
                line = ANSI_ESCAPE.sub(b"", line)
            try:
                self.sink.write(line)
                self.sink.flush()
            except (BrokenPipeError, ValueError):
                # Nobody reads our output any more: keep draining, so the command never
                # blocks on a full pipe.
                continue


@dataclass
class _StopRequest:
    """The signal that asked us to stop, set from the signal handler.

    The handler only assigns an attribute: it takes no lock. A `threading.Event.set()` there
    deadlocked, now and then, when the signal arrived while the main thread held the event's
    own lock inside `Event.wait()`: `make run` then ignored SIGTERM for good.
    """

    signum: int | None = None

    def handle(self, signum: int, _frame: FrameType | None) -> None:
        if self.signum is None:
            self.signum = signum


class Supervisor:
    """Runs one command in a process group of its own; see the module docstring."""

    def __init__(self, command: Sequence[str], env: dict[str, str] | None = None) -> None:
        self.command = list(command)
        self.env = env
        self.stop_request = _StopRequest()
        self.process: subprocess.Popen[bytes] | None = None
        self._relays: list[_Relay] = []

    # -- starting --------------------------------------------------------------------------

    def install_signal_handlers(self) -> None:
        """Catch SIGTERM, and SIGINT unless we inherited "ignore SIGINT" (a background job)."""
        signal.signal(signal.SIGTERM, self.stop_request.handle)
        if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
            signal.signal(signal.SIGINT, self.stop_request.handle)

    def start(self) -> subprocess.Popen[bytes]:
        """Start the command in a new session, its output relayed through us."""
        env = dict(os.environ if self.env is None else self.env)
        # Python children write to a pipe now: unbuffered, so lines come out when written.
        env["PYTHONUNBUFFERED"] = "1"
        self.process = subprocess.Popen(
            self.command,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            # Between fork and exec; safe here: no thread of ours runs yet.
            preexec_fn=_restore_default_signals,
        )
        assert self.process.stdout is not None and self.process.stderr is not None
        self._relays = [
            _Relay(self.process.stdout, sys.stdout.buffer),
            _Relay(self.process.stderr, sys.stderr.buffer),
        ]
        for relay in self._relays:
            relay.start()
        return self.process

    # -- waiting ---------------------------------------------------------------------------

    @property
    def stopping(self) -> bool:
        return self.stop_request.signum is not None

    def wait_for(self, ready: Callable[[], bool], timeout: float | None = None) -> bool:
        """Poll `ready` until it is true; False if the command exited, we were asked to stop,
        or `timeout` seconds passed."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.stopping and self._running():
            if ready():
                return True
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(_POLL_SECONDS)  # a signal interrupts it; the loop then sees the flag
        return False

    def wait_until_done(self) -> None:
        """Until the command exits or we are asked to stop."""
        while not self.stopping and self._running():
            time.sleep(_POLL_SECONDS)  # a signal interrupts it; the loop then sees the flag

    def _running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    # -- stopping --------------------------------------------------------------------------

    def stop(
        self,
        before_interrupt: Callable[[], None] | None = None,
        interrupt_grace: float = INTERRUPT_GRACE_SECONDS,
    ) -> int:
        """Stop the command as Ctrl-C in a terminal would, then anything left in its group.

        Returns the exit status for the supervisor: the command's own when it exited by itself
        (0 for `dg dev` after Ctrl-C), 128 + the signal when it had to be killed.
        """
        process = self.process
        assert process is not None
        status: int | None = process.poll()
        if status is None:
            if before_interrupt is not None:
                before_interrupt()
            status = self._interrupt(process, interrupt_grace)
        self._kill_leftovers(process.pid)
        for relay in self._relays:
            relay.join(timeout=5)
        return status

    def _interrupt(self, process: subprocess.Popen[bytes], grace: float) -> int:
        """SIGINT to the command itself (it stops its own children), then escalate."""
        self._signal_leader(process, signal.SIGINT)
        try:
            return process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
        self._signal_group(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=TERMINATE_GRACE_SECONDS)
            return 128 + signal.SIGTERM
        except subprocess.TimeoutExpired:
            self._signal_group(process.pid, signal.SIGKILL)
            process.wait()
            return 128 + signal.SIGKILL

    def _kill_leftovers(self, group: int) -> None:
        """Processes of the command's group that outlived it (orphans): TERM, then KILL."""
        if not _group_alive(group):
            return
        self._signal_group(group, signal.SIGTERM)
        deadline = time.monotonic() + TERMINATE_GRACE_SECONDS
        while _group_alive(group) and time.monotonic() < deadline:
            time.sleep(_POLL_SECONDS)
        self._signal_group(group, signal.SIGKILL)

    @staticmethod
    def _signal_leader(process: subprocess.Popen[bytes], signum: int) -> None:
        if process.poll() is None:
            process.send_signal(signum)

    @staticmethod
    def _signal_group(group: int, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signum)


def _group_alive(group: int) -> bool:
    """Whether any process of the group still runs (zombies waiting to be reaped do not)."""
    proc = Path("/proc")
    if not proc.is_dir():  # not Linux: ask the kernel, which counts zombies too
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return False
        return True
    for entry in proc.iterdir():
        if entry.name.isdigit() and _live_member(entry / "stat", group):
            return True
    return False


def _live_member(stat_file: Path, group: int) -> bool:
    """Whether /proc/<pid>/stat describes a live process of `group`."""
    try:
        stat = stat_file.read_text()
    except OSError:  # the process is gone
        return False
    # "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
    fields = stat[stat.rindex(")") + 2 :].split()
    return fields[0] != "Z" and int(fields[2]) == group
