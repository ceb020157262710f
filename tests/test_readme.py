"""The README's picture of the asset graph is the Definitions' asset graph.

The README opens with a screenshot of the graph (docs/img/asset-graph.png, taken by
tests/test_ui_browser.py) and the same graph as a Mermaid diagram. This test keeps the diagram
equal to the code: its groups and their assets, and every dependency, none missing, none
invented. If it fails after the graph changed, fix the diagram, and retake the screenshot
(copy tests/output/ui/asset-graph.png after running the UI test).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from event_analytics.definitions import defs

README = Path(__file__).resolve().parents[1] / "README.md"
EDGE = re.compile(r"^\s*(\w+) --> (\w+)\s*$")
SUBGRAPH = re.compile(r"^\s*subgraph (\w+)\s*$")
NODE = re.compile(r"^\s*(\w+)\s*$")


def _diagram() -> list[str]:
    """The lines of the README's first Mermaid block."""
    text = README.read_text()
    found = re.search(r"```mermaid\n(.*?)```", text, re.DOTALL)
    assert found, "README.md has no Mermaid diagram"
    return found.group(1).splitlines()


def _drawn() -> tuple[dict[str, set[str]], set[tuple[str, str]]]:
    """The diagram's groups (subgraphs and the assets listed in them) and its edges."""
    groups: dict[str, set[str]] = {}
    edges: set[tuple[str, str]] = set()
    group: str | None = None
    for line in _diagram():
        if line.strip() == "end":
            group = None
        elif subgraph := SUBGRAPH.match(line):
            group = subgraph.group(1)
            groups[group] = set()
        elif edge := EDGE.match(line):
            edges.add((edge.group(1), edge.group(2)))
        elif group is not None and (node := NODE.match(line)):
            groups[group].add(node.group(1))
    return groups, edges


@pytest.fixture(scope="module")
def graph() -> tuple[dict[str, set[str]], set[tuple[str, str]]]:
    """The Definitions' groups and dependencies."""
    groups: dict[str, set[str]] = {}
    edges = set()
    for node in defs().resolve_asset_graph().asset_nodes:
        name = node.key.to_user_string()
        groups.setdefault(node.group_name, set()).add(name)
        edges |= {(parent.to_user_string(), name) for parent in node.parent_keys}
    return groups, edges


def test_the_diagram_groups_exactly_the_defined_assets(
    graph: tuple[dict[str, set[str]], set[tuple[str, str]]],
) -> None:
    assert _drawn()[0] == graph[0]


def test_the_diagram_draws_exactly_the_defined_dependencies(
    graph: tuple[dict[str, set[str]], set[tuple[str, str]]],
) -> None:
    assert _drawn()[1] == graph[1]


def test_the_readme_shows_the_screenshot_of_the_graph() -> None:
    assert "](docs/img/asset-graph.png)" in README.read_text()
    assert (README.parent / "docs" / "img" / "asset-graph.png").is_file()
