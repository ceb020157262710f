"""What a user sees in the Dagster UI after `make run`, in a real browser.

The UI is started the way `make run` starts it, in a copy of the checkout with its own state
(`make_project.py`): a small sample ending today, `make materialize`, then `make serve` on a
free port. Debian's Chromium (`apt-get install chromium`; `.ci/run` installs it) is driven
headless through Playwright, never a browser Playwright downloads. Every assertion is about
text on the page; the expected figures come from the warehouse the runs wrote. Screenshots go
to `tests/output/ui/` (git-ignored); `docs/img/asset-graph.png` is a copy of the graph's.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from playwright.sync_api import FloatRect, Page, Playwright, expect, sync_playwright

from make_project import PROJECT_ROOT, make, project_copy, served
from network import free_loopback_port

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

CHROMIUM = Path("/usr/bin/chromium")
# What this machine's Chromium needs: no sandbox as root, no GPU, and none of the background
# connections a closed network refuses. The profile is a fresh folder per test session.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = PROJECT_ROOT / "tests" / "output" / "ui"
DAYS = 3
# The UI's first-visit newsletter dialog, answered as "Skip" would answer it.
NO_COMMUNITY_DIALOG = "window.localStorage.setItem('communityNux', '1')"
UI_WAIT_MS = 90_000
# A loaded 2-core machine renders slowly: every wait on the page gets this long.
expect.set_options(timeout=UI_WAIT_MS)


@dataclass(frozen=True)
class Demo:
    url: str
    project: Path
    figures: dict[dt.date, dict[str, object]]  # analytics.daily_summary, by day
    range_run_id: str


def _figures(project: Path) -> dict[dt.date, dict[str, object]]:
    with duckdb.connect(str(project / "data" / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT date, events, active_users, purchases, revenue FROM analytics.daily_summary"
        ).fetchall()
    return {
        row[0]: {"events": row[1], "active_users": row[2], "purchases": row[3], "revenue": row[4]}
        for row in rows
    }


def _range_run_id(project: Path) -> str:
    with dg.DagsterInstance.from_config(str(project / "dagster_home")) as instance:
        runs = [
            run for run in instance.get_runs() if "dagster/asset_partition_range_start" in run.tags
        ]
    assert len(runs) == 1
    return runs[0].run_id


def _chromium_or_skip() -> None:
    if CHROMIUM.is_file():
        return
    reason = f"{CHROMIUM} is missing: install Debian's chromium package (.ci/run does)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    _chromium_or_skip()
    project = project_copy(tmp_path_factory.mktemp("ui") / "checkout")
    make(project, "sample", "materialize", f"SAMPLE_DAYS={DAYS}", "SAMPLE_EVENTS=2000")
    figures = _figures(project)
    port = free_loopback_port()
    with served(project, "serve", f"PORT={port}") as job:
        url = job.wait_for_ui(port)
        yield Demo(url, project, figures, _range_run_id(project))
        job.signal_group(signal.SIGTERM)
        job.wait_stopped()


@pytest.fixture(scope="module")
def browser(demo: Demo) -> Iterator[Playwright]:
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture
def page(browser: Playwright, demo: Demo) -> Iterator[Page]:
    """A page of a fresh Chromium profile, wide enough for the graph's nodes to show names."""
    with tempfile.TemporaryDirectory() as profile:
        context = browser.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            args=CHROMIUM_FLAGS,
            viewport={"width": 2400, "height": 1300},
        )
        context.add_init_script(NO_COMMUNITY_DIALOG)
        context.set_default_timeout(UI_WAIT_MS)
        try:
            yield context.new_page()
        finally:
            context.close()


def _screenshot(page: Page, name: str, clip: FloatRect | None = None) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), clip=clip)


def _asset_groups() -> dict[str, list[str]]:
    """The Definitions' assets by group: what the graph must show."""
    from event_analytics.definitions import defs

    groups: dict[str, list[str]] = {}
    for node in defs().resolve_asset_graph().asset_nodes:
        groups.setdefault(node.group_name, []).append(node.key.to_user_string())
    return groups


def test_the_asset_graph_shows_the_core_assets_and_the_marts(page: Page, demo: Demo) -> None:
    groups = _asset_groups()
    assert {"raw_events", "cleaned_events", "daily_summary"} <= set(groups["events"])
    assert len(groups["marts"]) >= 6
    expanded = ",".join(f"global@global:{group}" for group in groups)
    page.goto(f"{demo.url}/asset-groups?expanded={expanded}")
    page.get_by_text("Hide navigation").click()
    for group, assets in groups.items():
        for asset in assets:
            expect(page.get_by_text(asset, exact=True).first).to_be_visible()
        expect(page.get_by_text(group, exact=True).first).to_be_visible()
    # Every node's checks are green: "N / N Passed" on each materialized node.
    passed = page.get_by_text(re.compile(r"^(\d+) / \1 Passed$"))
    expect(passed).to_have_count(sum(len(assets) for assets in groups.values()))
    _screenshot(page, "lineage")
    _screenshot(page, "asset-graph", clip=_graph_area(page))


def _graph_area(page: Page, margin: float = 24) -> FloatRect:
    """The part of the page the graph's groups and nodes cover, with a margin."""
    boxes = [box for box in (n.bounding_box() for n in page.locator("foreignObject").all()) if box]
    left = min(box["x"] for box in boxes) - margin
    top = min(box["y"] for box in boxes) - margin
    right = max(box["x"] + box["width"] for box in boxes) + margin
    bottom = max(box["y"] + box["height"] for box in boxes) + margin
    return {"x": left, "y": top, "width": right - left, "height": bottom - top}


def _exact(revenue: object) -> str:
    """Revenue as the warehouse holds it: DECIMAL(38,4), every decimal written."""
    assert isinstance(revenue, Decimal)
    return f"{revenue:f}"


def _latest_partition(text: str) -> dt.date:
    found = re.search(r"Latest materialization\s+.*?(\d{4}-\d{2}-\d{2})", text, re.DOTALL)
    assert found, text[:2000]
    return dt.date.fromisoformat(found.group(1))


def test_the_daily_summary_page_shows_its_latest_figures_checks_and_freshness(
    page: Page, demo: Demo
) -> None:
    page.goto(f"{demo.url}/assets/daily_summary")
    body = page.locator("body")
    expect(body).to_contain_text("Latest materialization")
    expect(body).to_contain_text("Row count")
    # Freshness: the daemon evaluates it every 30 s; the page follows without a reload.
    expect(page.get_by_text("Passing", exact=True).first).to_be_visible(timeout=180_000)
    latest = _latest_partition(body.inner_text())
    assert latest == max(demo.figures), "the latest materialization is today's"
    figures = demo.figures[latest]
    for label in ("events", "active_users", "purchases", "revenue"):
        expect(body).to_contain_text(label)
    text = body.inner_text()
    assert str(figures["active_users"]) in text
    assert str(figures["events"]) in text
    assert _exact(figures["revenue"]) in text  # exact, all four decimals
    _screenshot(page, "daily-summary")

    page.goto(f"{demo.url}/assets/daily_summary?view=checks")
    for check in ("partition_deadline", "reconciles_with_cleaned_events"):
        expect(page.get_by_text(check, exact=True).first).to_be_visible()
    succeeded = page.get_by_text("Succeeded", exact=True)
    expect(succeeded).to_have_count(2)
    expect(page.locator("body")).not_to_contain_text("Failed")
    _screenshot(page, "daily-summary-checks")


def test_the_partitions_view_shows_the_materialized_days_each_with_its_figures(
    page: Page, demo: Demo
) -> None:
    page.goto(f"{demo.url}/assets/daily_summary?view=partitions")
    body = page.locator("body")
    expect(body).to_contain_text(f"Materialized ({DAYS})")
    expect(body).to_contain_text("Failed (0)")
    _screenshot(page, "daily-summary-partitions")
    # Each day's page shows that day's figures, not the range run's totals.
    for day, figures in sorted(demo.figures.items()):
        page.goto(f"{demo.url}/assets/daily_summary?view=partitions&partition={day}")
        expect(body).to_contain_text("Materialized")
        # The metadata list: each label with that day's value (revenue exact, 4 decimals).
        expect(body).to_contain_text(
            re.compile(
                rf"events\s*{figures['events']}\s*active_users\s*{figures['active_users']}"
                rf"\s*purchases\s*{figures['purchases']}\s*revenue\s*[\d.]+"
                rf"\s*revenue_exact\s*{re.escape(_exact(figures['revenue']))}"
            )
        )
    _screenshot(page, "daily-summary-one-day")


def test_a_run_page_shows_its_steps_succeeded(page: Page, demo: Demo) -> None:
    page.goto(f"{demo.url}/runs/{demo.range_run_id}")
    body = page.locator("body")
    expect(body).to_contain_text("Success")
    expect(body).to_contain_text("Errored (0)")
    expect(body).to_contain_text(re.compile(r"Succeeded \([1-9]\d*\)"))
    for step in ("raw_events", "daily_marts"):
        expect(page.get_by_text(step, exact=True).first).to_be_visible()
    _screenshot(page, "run")
