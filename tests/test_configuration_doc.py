"""docs/configuration.md stays true: it lists exactly the settings registry
(`event_analytics.settings.SETTINGS`), each with the code's default and secrecy, and names as
readers only modules that really read the setting.

A setting added to the registry and not to the page fails here, and so does a page naming a
variable that neither the registry nor its table of other programs' variables has.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

from event_analytics import settings
from event_analytics.settings import SETTINGS, Setting

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "configuration.md"
SRC = ROOT / "src"
SETTINGS_HEADER = "| variable | default | meaning | read by | secret |"
OTHERS_HEADER = "| variable | read by | meaning | secret |"
VARIABLE = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")


def table(header: str) -> dict[str, list[str]]:
    """The rows of the page's table under `header`, by variable: the other cells."""
    lines = PAGE.read_text("utf-8").splitlines()
    start = lines.index(header) + 2  # the header, then its |---| line
    rows: dict[str, list[str]] = {}
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        name = cells[0].strip("`")
        assert name not in rows, f"{name} is listed twice"
        rows[name] = cells[1:]
    return rows


def by_name() -> dict[str, Setting[object]]:
    return {setting.env_var: setting for setting in SETTINGS}


def constant_name(setting: Setting[object]) -> str:
    [name] = [n for n, v in vars(settings).items() if v is setting]
    return name


@cache
def names_used(module: str) -> frozenset[str]:
    """Every name a module's code uses (imports, names, attributes), docstrings aside."""
    path = SRC.joinpath(*module.split(".")).with_suffix(".py")
    assert path.is_file(), f"{module} is not a module of the package"
    used: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Name):
            used.add(node.id)
        elif isinstance(node, ast.Attribute):
            used.add(node.attr)
        elif isinstance(node, ast.alias):
            used.add(node.name)
    return frozenset(used)


def ways_to_read(setting: Setting[object]) -> set[str]:
    """The setting's constant, and the functions of `settings` that read it for others
    (`landing_load_max_attempts()` for `LANDING_LOAD_MAX_ATTEMPTS`, ...)."""
    constant = constant_name(setting)
    ways = {constant}
    tree = ast.parse(Path(settings.__file__).read_text("utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and any(
            isinstance(inner, ast.Name) and inner.id == constant for inner in ast.walk(node)
        ):
            ways.add(node.name)
    return ways


def test_the_page_lists_exactly_the_registry() -> None:
    listed = set(table(SETTINGS_HEADER))
    registry = set(by_name())
    assert registry - listed == set(), "settings missing from docs/configuration.md"
    assert listed - registry == set(), "docs/configuration.md lists variables the registry lacks"


@pytest.mark.parametrize("name", [s.env_var for s in SETTINGS])
def test_each_settings_default_and_secrecy_are_the_codes(name: str) -> None:
    setting = by_name()[name]
    row = table(SETTINGS_HEADER).get(name)
    assert row is not None, f"{name} is not on the page"
    default, meaning, _, secret = row
    assert default == (f"`{setting.default}`" if setting.default else "empty")
    assert secret == ("yes" if setting.secret else "no")
    assert meaning


@pytest.mark.parametrize("name", [s.env_var for s in SETTINGS])
def test_each_reader_named_really_reads_the_setting(name: str) -> None:
    setting = by_name()[name]
    readers = table(SETTINGS_HEADER)[name][2]
    if setting.resource is not None:
        assert f"`{setting.resource}` resource" in readers
    modules = re.findall(r"`(event_analytics(?:\.\w+)+)`", readers)
    assert modules, f"{name}: no module named as its reader"
    ways = ways_to_read(setting)
    for module in modules:
        assert names_used(module) & ways, f"{module} does not read {name} ({sorted(ways)})"


def test_other_programs_variables_are_not_settings_and_are_really_used() -> None:
    others = table(OTHERS_HEADER)
    assert not set(others) & set(by_name())
    corpus = "\n".join(
        path.read_text("utf-8", errors="replace")
        for pattern in ("Makefile", "README.md", ".env.example", "deploy/*", "src/**/*.py")
        for path in ROOT.glob(pattern)
        if path.is_file()
    )
    for name in others:
        assert re.search(rf"\b{name}\b", corpus), f"{name} is used nowhere in the project"


def test_the_page_names_no_variable_it_does_not_list() -> None:
    known = set(by_name()) | set(table(OTHERS_HEADER))
    named = {
        found
        for quoted in re.findall(r"`([^`]+)`", PAGE.read_text("utf-8"))
        for found in VARIABLE.findall(quoted)
    }
    assert named - known == set()
