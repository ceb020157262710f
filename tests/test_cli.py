"""The command line as people and scripts meet it: every command's help and its examples, the
exit statuses and messages, and progress on long work (a live bar on a terminal, plain lines in
a pipe, nothing with --quiet).

Exit statuses and progress are checked on the installed `event-analytics` script in a real
subprocess (a pipe, or a pseudo-terminal), since that is what a script or a person runs.
"""

from __future__ import annotations

import argparse
import os
import pty
import re
import select
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from event_analytics.cli import build_parser, main

SCRIPT = str(Path(sys.executable).parent / "event-analytics")
ESCAPE = "\x1b"


def commands() -> list[str]:
    """Every subcommand the parser declares (a new one is covered without touching this)."""
    parser = build_parser()
    [subparsers] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return sorted(subparsers.choices)


def examples(help_text: str, command: str) -> list[list[str]]:
    """The arguments of each `event-analytics COMMAND ...` line of the help's examples section
    (a comment after two spaces, a pipe or a redirection ends the command)."""
    match = re.search(r"^examples?:\n((?:[ \t]+\S.*\n?)+)", help_text, re.MULTILINE | re.I)
    assert match, f"{command} --help has no examples section:\n{help_text}"
    found = []
    for line in match.group(1).splitlines():
        text = re.split(r"(?<=\S) {2,}", line.strip(), maxsplit=1)[0]
        lexer = shlex.shlex(text, posix=True, punctuation_chars="|<>")
        lexer.whitespace_split = True
        tokens = list(lexer)
        if "event-analytics" not in tokens:
            continue
        start = tokens.index("event-analytics") + 1
        end = next((i for i in range(start, len(tokens)) if tokens[i] in "|<>"), len(tokens))
        found.append(tokens[start:end])
    return found


@pytest.mark.parametrize("command", commands())
def test_every_command_has_help_with_examples_that_run(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([command, "--help"]) == 0
    help_text = capsys.readouterr().out
    found = [argv for argv in examples(help_text, command) if argv[:1] == [command]]
    assert found, f"no `event-analytics {command} ...` example in:\n{help_text}"
    for argv in found:
        build_parser().parse_args(argv)  # argparse exits (SystemExit) on a bad example


def test_the_overview_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in commands():
        assert re.search(rf"^\s+{re.escape(command)}\s", out, re.MULTILINE), command


# --- exit statuses and messages ------------------------------------------------------------------


def run(argv: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"} | env
    return subprocess.run(
        [SCRIPT, *argv], env=environment, cwd=cwd, capture_output=True, text=True, timeout=120
    )


CASES = [
    # usage: 2, the usage line and what is wrong
    ("no-command", [], {}, 2, "COMMAND"),
    ("unknown-command", ["frobnicate"], {}, 2, "invalid choice"),
    ("generate-missing-option", ["generate", "--out", "x"], {}, 2, "required"),
    ("summary-bad-date", ["summary", "--start", "2025-13-01"], {}, 2, "YYYY-MM-DD"),
    ("sql-two-statements", ["sql", "SELECT 1; SELECT 2"], {}, 2, "one query"),
    # failures at run time: 1, naming the setting or the file
    ("check-config-bad-setting", ["check-config"], {"RAW_REJECTED_RATIO_MAX": "2"}, 1,
     "RAW_REJECTED_RATIO_MAX"),
    ("prepare-instance-no-home", ["prepare-instance"], {}, 1, "DAGSTER_HOME"),
    ("generate-onto-a-file", ["generate", "--out", "afile", "--start", "2025-01-01", "--days",
     "1", "--events-per-day", "5", "--seed", "1"], {}, 1, "afile"),
    ("summary-no-warehouse", ["summary", "--start", "2025-01-01"],
     {"WAREHOUSE_URL": "duckdb:///missing/w.duckdb"}, 1, "WAREHOUSE_URL"),
    ("sql-bad-setting", ["sql", "SELECT 1"], {"DUCKDB_MEMORY_LIMIT": "lots"}, 1,
     "DUCKDB_MEMORY_LIMIT"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "env", "status", "named"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_exit_status_and_message_a_script_can_rely_on(
    tmp_path: Path, argv: list[str], env: dict[str, str], status: int, named: str
) -> None:
    (tmp_path / "afile").write_text("not a folder")
    done = run(argv, env, tmp_path)
    assert done.returncode == status, done.stderr
    assert named in done.stderr
    # Who speaks, as argparse does (after the usage line on a usage error).
    assert any(line.startswith("event-analytics") for line in done.stderr.splitlines())
    assert "Traceback" not in done.stderr


def test_an_interrupted_command_exits_130_without_a_traceback(tmp_path: Path) -> None:
    argv = ["generate", "--out", str(tmp_path / "zone"), "--start", "2025-01-01"]
    argv += ["--days", "30", "--events-per-day", "200000", "--seed", "1"]
    process = subprocess.Popen(
        [SCRIPT, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    process.stdout.readline()  # the first day is written: the work is under way
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "interrupted" in err and "Traceback" not in err


# --- progress -------------------------------------------------------------------------------------

GENERATE = ["generate", "--start", "2025-01-01", "--days", "3", "--events-per-day", "4000"]


def test_generate_in_a_pipe_prints_one_plain_line_per_day(tmp_path: Path) -> None:
    done = run([*GENERATE, "--seed", "1", "--out", str(tmp_path / "zone")], {}, tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line[:11] for line in lines[:3]] == ["2025-01-01:", "2025-01-02:", "2025-01-03:"]
    assert lines[3].startswith("generated 12,000 lines") and len(lines) == 4
    assert ESCAPE not in done.stdout


def test_generate_quiet_prints_only_its_summary(tmp_path: Path) -> None:
    done = run([*GENERATE, "--seed", "1", "--quiet", "--out", str(tmp_path / "zone")], {}, tmp_path)
    assert done.returncode == 0, done.stderr
    [line] = done.stdout.splitlines()
    assert line.startswith("generated 12,000 lines")
    assert len(list((tmp_path / "zone" / "events").iterdir())) == 3


def on_a_terminal(argv: list[str], cwd: Path) -> tuple[int, str]:
    """Run the script with a pseudo-terminal as its stdout and stderr: (status, what it drew)."""
    controller, terminal = pty.openpty()
    env = os.environ | {"TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}
    env.pop("NO_COLOR", None)
    process = subprocess.Popen(
        [SCRIPT, *argv], stdin=subprocess.DEVNULL, stdout=terminal, stderr=terminal, cwd=cwd,
        env=env,
    )  # fmt: skip
    os.close(terminal)
    chunks = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 1.0)
        if not ready:
            if process.poll() is not None:
                break
            continue
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closed: the process is gone
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(controller)
    return process.wait(timeout=30), b"".join(chunks).decode("utf-8", "replace")


def test_generate_on_a_terminal_draws_a_live_bar_of_days(tmp_path: Path) -> None:
    argv = [*GENERATE, "--seed", "1", "--out", str(tmp_path / "zone")]
    status, drawn = on_a_terminal(argv, tmp_path)
    assert status == 0, drawn
    assert ESCAPE in drawn  # drawn and redrawn, not printed
    seen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", drawn)  # what a person reads
    assert re.search(r"generating .* 3/3 days", seen), seen
    for day in ("2025-01-01:", "2025-01-02:", "2025-01-03:"):
        assert day in drawn
    assert "generated 12,000 lines" in drawn
