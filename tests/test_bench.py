"""`make bench`: its generator, its measuring, its verdicts, and a whole tiny run.

The generator is checked against the contract's independent reference model (every line
accepted, the figures it claims are the figures the lines give) and through the real
`raw_events` asset; the measuring against real processes; the targets against hand-built
results; and one slow test runs `python -m bench` end to end at a tiny size.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from harness import PLATFORM_ASSETS, Platform, metadata_of
from reference_model import clean, read_day, summarize

# `bench` is a tool at the repository root, not part of the installed package.
PROJECT_ROOT = Path(__file__).resolve().parents[1]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from bench import data as bench_data  # noqa: E402
from bench.contenders import (  # noqa: E402
    CONTENDERS,
    Case,
    Contender,
    Launch,
    Outcome,
    mismatches,
    register,
)
from bench.data import (  # noqa: E402
    FILES_PER_DAY,
    Truth,
    cached_landing,
    format_size,
    generate_day,
    parse_size,
)
from bench.measure import Measurement, run_measured  # noqa: E402
from bench.progress import PlainProgress  # noqa: E402
from bench.project import StepTime  # noqa: E402
from bench.results import BackfillResult, BenchResults, ContenderResult, Run, SizeResult  # noqa: E402
from bench.runner import Options, run  # noqa: E402
from bench.targets import evaluate  # noqa: E402
from bench.workers import parse_result  # noqa: E402

DAY = dt.date(2025, 6, 1)
EVENTS = 20_000
SEED = 5


def day_files(root: Path, day: dt.date = DAY) -> list[Path]:
    return sorted((root / "events" / f"date={day.isoformat()}").iterdir())


def read_lines(path: Path) -> list[bytes]:
    data = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
    assert data.endswith(b"\n")
    return data[:-1].split(b"\n")


def about(count: int, total: int, share: float) -> bool:
    """``count`` of ``total`` is ``share`` within four standard deviations of a binomial."""
    return abs(count / total - share) < 4 * (share * (1 - share) / total) ** 0.5


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Truth]:
    root = tmp_path_factory.mktemp("generated") / "landing"
    return root, generate_day(root, DAY, EVENTS, SEED)


# --- the generator ------------------------------------------------------------------------


def test_every_generated_line_follows_the_contract_and_the_truth_is_what_the_lines_give(
    generated: tuple[Path, Truth],
) -> None:
    root, truth = generated
    expected = read_day(root, DAY)  # the reference model of the contract, in plain Python
    assert expected.rejected == []
    assert expected.blank_lines == 0
    assert expected.lines_read == len(expected.rows) == EVENTS == truth.lines
    assert sum(r["revenue"] for r in expected.rows) == truth.raw_revenue
    summary = summarize(clean(expected.rows), DAY)
    assert (summary["events"], summary["active_users"], summary["purchases"]) == (
        truth.events,
        truth.active_users,
        truth.purchases,
    )
    assert summary["revenue"] == truth.revenue


def test_generated_day_has_the_documented_shape(generated: tuple[Path, Truth]) -> None:
    root, truth = generated
    files = day_files(root)
    assert [f.name for f in files] == [
        "part-00001.jsonl",
        "part-00002.jsonl",
        "part-00003.jsonl",
        "part-00004.jsonl.gz",
    ]
    lines = [line for f in files for line in read_lines(f)]
    assert all(len(read_lines(f)) == EVENTS // FILES_PER_DAY for f in files)
    events = [json.loads(line, parse_float=Decimal) for line in lines]

    ids = Counter(e["event_id"] for e in events)
    assert sum(n - 1 for n in ids.values()) == round(EVENTS * 0.02)  # 2% re-sent lines
    resent = {i for i, n in ids.items() if n > 1}
    copies = Counter(line for line, e in zip(lines, events, strict=True) if e["event_id"] in resent)
    assert all(n == 2 for n in copies.values())  # a re-send is the same line again

    unique = {e["event_id"]: e for e in events}.values()
    purchases = [e for e in unique if e["event_type"] == "purchase"]
    assert about(sum(e["user_id"] is None for e in unique), len(unique), 0.03)
    assert about(len(purchases), len(unique), 0.05)
    assert all("revenue" in e for e in purchases)
    assert not any("revenue" in e for e in unique if e["event_type"] != "purchase")
    assert all(
        Decimal("0.0001") <= e["revenue"] <= Decimal("999.9999")
        and e["revenue"].as_tuple().exponent == -4
        for e in purchases
    )
    assert Counter(e["event_type"] for e in unique).keys() == {
        "page_view",
        "add_to_cart",
        "search",
        "purchase",
    }
    times = [e["occurred_at"] for e in events]
    assert all(t.startswith(f"{DAY}T") and t.endswith("Z") for t in times)
    assert min(times) < f"{DAY}T01" and max(times) > f"{DAY}T23"  # the whole day is used
    sizes = [len(json.dumps(e["properties"], separators=(",", ":"))) for e in events]
    assert 60 <= sum(sizes) / len(sizes) <= 80  # a ~70-byte properties object
    assert 1_500 < truth.active_users < 2_500  # about one user per 8 events


def test_generator_is_deterministic_and_seeded(
    tmp_path: Path, generated: tuple[Path, Truth]
) -> None:
    root, truth = generated
    again = generate_day(tmp_path / "again", DAY, EVENTS, SEED)
    other = generate_day(tmp_path / "other", DAY, EVENTS, SEED + 1)
    same = [f.read_bytes() for f in day_files(root)]
    assert [f.read_bytes() for f in day_files(tmp_path / "again")] == same
    assert again == truth
    assert [f.read_bytes() for f in day_files(tmp_path / "other")] != same
    assert other != truth


def test_large_days_written_by_several_processes_are_the_same_bytes(
    tmp_path: Path, generated: tuple[Path, Truth], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, truth = generated
    # Days from 1M events on are written by worker processes; here, this small one too.
    monkeypatch.setattr(bench_data, "PARALLEL_FROM_EVENTS", 1)
    again = generate_day(tmp_path / "parallel", DAY, EVENTS, SEED)
    assert again == truth
    assert [f.read_bytes() for f in day_files(tmp_path / "parallel")] == [
        f.read_bytes() for f in day_files(root)
    ]


def test_generated_day_loads_through_raw_events_with_no_rejection(tmp_path: Path) -> None:
    platform = Platform(tmp_path)
    truth = generate_day(platform.landing_root, DAY, 6_000, SEED)
    result = platform.materialize(partition=DAY.isoformat(), assets=PLATFORM_ASSETS)
    assert result.success
    loaded = metadata_of(result, "raw_events")
    assert (loaded["lines_read"], loaded["rows_loaded"], loaded["rows_rejected"]) == (
        truth.lines,
        truth.lines,
        0,
    )
    assert platform.rows(
        "SELECT events, active_users, purchases, revenue FROM analytics.daily_summary "
        "WHERE date = ?",
        [DAY],
    ) == [(truth.events, truth.active_users, truth.purchases, truth.revenue)]


def test_generated_days_are_cached_by_size_and_seed(tmp_path: Path) -> None:
    notes: list[str] = []
    first = cached_landing(tmp_path, [DAY], 2_000, SEED, notes.append)
    assert notes, "the first call generates"
    stamps = {f: f.stat().st_mtime_ns for f in day_files(first.root)}
    notes.clear()
    again = cached_landing(tmp_path, [DAY], 2_000, SEED, notes.append)
    assert notes == [] and (again.root, again.days) == (first.root, first.days)
    assert first.generate_s is not None and again.generate_s is None
    assert {f: f.stat().st_mtime_ns for f in day_files(again.root)} == stamps
    other = cached_landing(tmp_path, [DAY], 2_000, SEED + 1, notes.append)
    assert notes and other.root != first.root


def test_sizes_read_and_print_as_people_write_them() -> None:
    assert [parse_size(s) for s in ("5k", "1M", "20M", "2500", "1.5M")] == [
        5_000,
        1_000_000,
        20_000_000,
        2_500,
        1_500_000,
    ]
    assert [format_size(n) for n in (5_000, 1_000_000, 20_000_000, 2_500)] == [
        "5k",
        "1M",
        "20M",
        "2500",
    ]
    for bad in ("", "M", "0", "-1k", "1.0001k", "lots"):
        with pytest.raises(ValueError):
            parse_size(bad)


# --- measuring ----------------------------------------------------------------------------


def test_peak_memory_counts_the_whole_process_tree(tmp_path: Path) -> None:
    # The parent holds little; a grandchild holds 300 MB for a while, then everything exits.
    grandchild = "b = bytearray(300_000_000); import time; time.sleep(1)"
    child = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {grandchild!r}])"
    measured = run_measured(
        [sys.executable, "-c", child], os.environ, tmp_path, tmp_path / "log.txt"
    )
    assert measured.returncode == 0
    assert measured.peak_rss_bytes > 300_000_000
    assert measured.wall_s > 0


# --- figures and verdicts -----------------------------------------------------------------

TRUTH = Truth(DAY, 1_000, Decimal("10.0000"), 950, 120, 40, Decimal("9.5000"))


def test_figures_must_equal_the_truth_revenue_within_the_contenders_tolerance() -> None:
    exact: dict[str, int | Decimal] = {
        "events": 950,
        "active_users": 120,
        "revenue": Decimal("9.5"),
    }
    assert mismatches(TRUTH, exact, Decimal(0)) == []
    assert mismatches(TRUTH, {**exact, "events": 949}, Decimal(0)) == ["events 949, expected 950"]
    near = {**exact, "revenue": Decimal("9.5049")}
    assert mismatches(TRUTH, near, Decimal("0.01")) == []
    assert mismatches(TRUTH, near, Decimal(0)) == ["revenue 9.5049, expected 9.5000"]
    assert mismatches(TRUTH, {"lines": 1_000, "rejected": 3}, Decimal(0)) == [
        "rejected 3 lines, expected none"
    ]
    assert mismatches(TRUTH, {}, Decimal(0)) == ["no figures reported"]


def contender(name: str, wall_s: float, compute_s: float, rss: int = 10**8) -> ContenderResult:
    return ContenderResult(name, name, (Run(wall_s, rss, compute_s),), {})


def size_result(events: int, **walls: tuple[float, float] | tuple[float, float, int]) -> SizeResult:
    truth = Truth(DAY, events, Decimal(0), events, 1, 0, Decimal(0))
    return SizeResult(truth, 1, None, {n: contender(n, *w) for n, w in walls.items()})


def verdicts(results: BenchResults) -> dict[str, tuple[str, float | None]]:
    return {t.name: (t.status, t.measured) for t in evaluate(results)}


def test_ratios_compare_with_the_baselines_of_the_same_size() -> None:
    size = size_result(
        2_000_000,
        pandas=(40.0, 35.0),
        scan_floor=(1.0, 0.5),
        lenient_load=(2.0, 1.0),
        project=(8.0, 2.0),
    )
    assert size.ratios("project") == {
        "speed_vs_pandas": 5.0,
        "compute_vs_scan_floor": 4.0,
        "compute_vs_lenient_load": 2.0,
        "wall_vs_scan_floor": 8.0,
        "wall_vs_lenient_load": 4.0,
    }
    assert size.events_per_s("project") == 250_000
    alone = size_result(1_000, project=(8.0, 2.0))
    assert set(alone.ratios("project").values()) == {None}


def test_targets_pass_and_miss_on_the_measured_ratios() -> None:
    results = BenchResults(
        sizes=[
            size_result(
                2_000_000,
                pandas=(40.0, 35.0),
                scan_floor=(1.0, 0.5),
                lenient_load=(2.0, 1.0),
                validator=(4.0, 3.0),
                project=(8.0, 2.0),
            ),
            size_result(
                5_000_000,
                pandas=(100.0, 90.0),
                scan_floor=(2, 1.0),
                lenient_load=(3.0, 2.0),
                validator=(9.0, 6.5),
                project=(30.0, 7.0),
            ),
            size_result(20_000_000, scan_floor=(4.0, 2.0), project=(60.0, 10.0, 1_400_000_000)),
        ],
        backfill=BackfillResult(365, 1000, 73.0, 10**9, 40.0, 70.0, ()),
    )
    assert verdicts(results) == {
        "speed vs pandas at 2M": ("PASS", 5.0),
        "speed vs pandas at 5M": ("MISS", pytest.approx(100 / 30)),
        "peak RSS at 20M": ("PASS", 1.4),
        "asset compute vs scan floor at 2M": ("PASS", 4.0),
        "asset compute vs scan floor at 5M": ("MISS", 7.0),
        "asset compute vs scan floor at 20M": ("PASS", 5.0),
        "validator vs lenient load at 2M": ("PASS", 3.0),
        "validator vs lenient load at 5M": ("MISS", 3.25),
        "orchestration per partition, 365-day backfill": ("PASS", pytest.approx(33 / 365)),
    }
    heavy = size_result(20_000_000, scan_floor=(4.0, 2.0), project=(60.0, 10.0, 1_500_000_000))
    slow = BackfillResult(365, 1000, 80.0, 10**9, 40.0, 70.0, ())
    assert verdicts(BenchResults(sizes=[heavy], backfill=slow))["peak RSS at 20M"][0] == "MISS"
    assert verdicts(BenchResults(backfill=slow))[
        "orchestration per partition, 365-day backfill"
    ] == ("MISS", pytest.approx(40 / 365))


def test_targets_not_measured_say_so() -> None:
    short = BackfillResult(
        3, 1000, 20.0, 10**9, 2.0, 15.0, (StepTime("raw_events", 1, True, True),)
    )
    found = {t.name: t for t in evaluate(BenchResults(backfill=short))}
    assert {t.status for t in found.values()} == {"NOT RUN"}
    assert "SIZES=2M" in found["speed vs pandas at 2M"].detail
    assert "SIZES=20M" in found["peak RSS at 20M"].detail
    # Three days spread the start-up over too few partitions to judge the 365-day target.
    assert "--backfill-days 365" in found["orchestration per partition, 365-day backfill"].detail


# --- the registry: a contender that gives a wrong answer fails the bench --------------------


class _WrongAnswer(Contender):
    """A contender as a later one would be added: its process reports one user too many."""

    name = "test_wrong_answer"
    title = "wrong answer"
    description = "prints the scan floor's figures with one user too many"

    def launch(self, case: Case) -> Launch:
        users = case.truth.active_users + 1
        result = {
            "compute_s": 0.01,
            "figures": {"lines": str(case.truth.lines), "active_users": str(users)},
        }
        code = f"print('BENCH-RESULT ' + {json.dumps(json.dumps(result))})"
        return Launch([sys.executable, "-c", code], dict(os.environ))

    def collect(self, case: Case, measured: Measurement) -> Outcome:
        result = parse_result(measured.log.read_text())
        return Outcome({k: int(v) for k, v in result.figures.items()}, result.compute_s)


def test_a_contender_with_a_wrong_answer_fails_the_bench_loudly_and_the_others_still_count(
    tmp_path: Path,
) -> None:
    register(_WrongAnswer)
    try:
        options = Options(
            sizes=(2_000,),
            # The failing contender first: the one after it still runs and is reported.
            contenders=(_WrongAnswer.name, "scan_floor"),
            work_dir=tmp_path / "work",
            out_dir=tmp_path / "out",
            memory_limit="1GB",
            backfill=False,
        )
        written = run(options, PlainProgress())
    finally:
        del CONTENDERS[_WrongAnswer.name]
    assert written.results.failure is not None
    assert "gave a wrong answer" in written.results.failure
    assert "active_users" in written.results.failure
    [size] = written.results.sizes
    assert set(size.contenders) == {"scan_floor"}
    assert size.contenders["scan_floor"].wall_s > 0
    saved = json.loads(written.json_path.read_text())
    assert saved["failure"] == written.results.failure
    assert "The bench failed" in written.markdown


# --- the whole bench, tiny ------------------------------------------------------------------


@pytest.mark.slow
def test_bench_runs_every_contender_and_scenario_and_the_figures_agree(tmp_path: Path) -> None:
    out = tmp_path / "results"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--sizes",
            "5k",
            "--backfill-days",
            "3",
            "--range-days",
            "2",
            "--work",
            str(tmp_path / "work"),
            "--out",
            str(out),
            "--plain",
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-5000:]
    report = json.loads((out / "latest.json").read_text())
    assert report["failure"] is None
    [size] = report["sizes"]
    truth = size["truth"]
    assert size["events"] == truth["lines"] == 5_000
    assert set(size["contenders"]) == set(CONTENDERS)
    for name, result in size["contenders"].items():
        for figure in ("wall_s", "compute_s", "peak_rss_bytes", "events_per_s"):
            assert result[figure] > 0, (name, figure)
        assert result["figures"], name
        for key, value in result["figures"].items():
            if key == "rejected":
                assert value == "0"
            elif key == "revenue" and name == "pandas":  # a float sum, to the cent
                assert abs(Decimal(value) - Decimal(truth[key])) <= Decimal("0.01")
            else:
                assert Decimal(value) == Decimal(str(truth[key])), (name, key)
    # Every figure is reported by at least two contenders that agree with each other.
    reported = Counter(k for r in size["contenders"].values() for k in r["figures"])
    assert all(reported[k] >= 2 for k in ("lines", "events", "active_users", "revenue"))
    project = size["contenders"]["project"]
    assert {s["step"] for s in project["steps"]} >= set(PLATFORM_ASSETS)
    assert project["ratios"]["speed_vs_pandas"] > 0
    assert project["runs"][0]["orchestration_s"] > 0

    backfill = report["backfill"]
    assert backfill["days"] == 3
    assert backfill["wall_s"] > backfill["asset_compute_s"] > 0
    assert backfill["orchestration_per_partition_s"] > 0
    range_runs = report["range_vs_single_runs"]
    assert range_runs["days"] == 2 and len(range_runs["single_walls_s"]) == 2
    assert range_runs["singles_vs_range"] > 0
    statuses = {t["name"]: t["status"] for t in report["targets"]}
    assert statuses["asset compute vs scan floor at 5k"] in {"PASS", "MISS"}
    assert statuses["speed vs pandas at 2M"] == "NOT RUN"
    machine = report["machine"]
    assert machine["logical_cores"] >= 1 and machine["memory_bytes"] > 0
    assert machine["versions"]["dagster"] and machine["versions"]["duckdb"]
    markdown = (out / "latest.md").read_text()
    assert "| 5k | this project" in markdown
    assert "PASS" in markdown or "MISS" in markdown
    assert markdown in done.stdout
