"""Every command the runbook and the architecture page tell an operator to run exists.

Each `event-analytics ...` command is parsed by the command line's own parser (a removed
option or subcommand fails here), each `make TARGET` must be among `make help`'s targets, and
each `dagster ...` / `dagster-daemon ...` subcommand must answer `--help`.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from event_analytics.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "docs" / "runbook.md", ROOT / "docs" / "architecture.md"]
BIN = Path(sys.executable).parent
PROGRAMS = ("event-analytics", "make", "dagster", "dagster-daemon")


def snippets(text: str) -> list[str]:
    """The shell text of every fenced bash block and every inline code span."""
    fence = r"^[ \t]*```"  # fences inside a list item are indented
    blocks = re.findall(fence + r"bash\n(.*?)" + fence, text, re.MULTILINE | re.DOTALL)
    outside = re.sub(fence + r".*?" + fence, "", text, flags=re.MULTILINE | re.DOTALL)
    return blocks + re.findall(r"`([^`\n]+)`", outside)


def logical_lines(snippet: str) -> list[str]:
    """Lines as the shell reads them: continuations joined, a quote open across lines kept."""
    lines, pending = [], ""
    for line in snippet.splitlines():
        pending = f"{pending}\n{line}" if pending else line
        if pending.endswith("\\"):
            pending = pending[:-1]
            continue
        try:
            shlex.split(pending, comments=True)
        except ValueError:  # a quotation still open: the command goes on
            continue
        lines.append(pending)
        pending = ""
    return lines


def commands(line: str) -> list[list[str]]:
    """The simple commands of a line that run one of PROGRAMS: its arguments up to a
    redirection or the next command, without leading `VAR=value` assignments."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|<>")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    found: list[list[str]] = []
    current: list[str] = []
    for token in [*lexer, ";"]:
        if token and set(token) <= set(";&|<>"):
            words = [w for w in current if not re.match(r"^[A-Z_][A-Z0-9_]*=", w)]
            if words and Path(words[0]).name in PROGRAMS:
                found.append([Path(words[0]).name, *words[1:]])
            current = [] if token != ">" else ["(redirected)"]
            continue
        current.append(token)
    return found


def named_commands() -> list[list[str]]:
    """Every command of the pages that names more than its program (`make` alone, in prose,
    is the tool, not a command)."""
    every = []
    for page in PAGES:
        for snippet in snippets(page.read_text("utf-8")):
            for line in logical_lines(snippet):
                every += [argv for argv in commands(line) if len(argv) > 1]
    return every


@cache
def make_targets() -> frozenset[str]:
    shown = subprocess.run(
        ["make", "--no-print-directory", "help"], cwd=ROOT, capture_output=True, text=True
    )
    assert shown.returncode == 0, shown.stderr
    return frozenset(re.findall(r"^\s+make (\S+)", shown.stdout, re.MULTILINE))


def test_the_pages_name_commands_of_every_kind() -> None:
    kinds = {argv[0] for argv in named_commands()}
    assert kinds == set(PROGRAMS)


@pytest.mark.parametrize(
    "argv",
    [a for a in named_commands() if a[0] == "event-analytics"],
    ids=lambda a: " ".join(a)[:60],
)
def test_each_event_analytics_command_parses(argv: list[str]) -> None:
    if len(argv) == 2:  # a command named in prose, without its arguments
        assert main([argv[1], "--help"]) == 0
    else:
        build_parser().parse_args(argv[1:])  # argparse exits (SystemExit) on a bad command


@pytest.mark.parametrize(
    "argv", [a for a in named_commands() if a[0] == "make"], ids=lambda a: " ".join(a)
)
def test_each_make_target_exists(argv: list[str]) -> None:
    targets = [word for word in argv[1:] if not word.startswith("-") and "=" not in word]
    assert targets and set(targets) <= make_targets(), argv


@pytest.mark.parametrize(
    "words",
    sorted(
        {
            tuple(w for w in a[: next((i for i, w in enumerate(a) if w.startswith("-")), len(a))])
            for a in named_commands()
            if a[0] in ("dagster", "dagster-daemon")
        }
    ),
    ids=" ".join,
)
def test_each_dagster_command_exists(words: tuple[str, ...]) -> None:
    answer = subprocess.run(
        [str(BIN / words[0]), *words[1:], "--help"], capture_output=True, text=True, timeout=120
    )
    assert answer.returncode == 0, answer.stderr
