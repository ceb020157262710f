"""The landing zone on S3: `EVENTS_LANDING_URL=s3://bucket/prefix`, against a real endpoint.

Every test talks over HTTP to moto's S3 server on 127.0.0.1 (tests/s3_server.py), with IAM
enforced, through the standard AWS variables that boto3 reads: nothing in the platform is
mocked. The same files loaded from a folder and from a bucket give the same tables; the
landing sensor sees objects come, change and go as it sees files; a configuration mistake is
one message naming the variables to fix, and never shows a secret.
"""

from __future__ import annotations

import datetime as dt
import gzip
import time
from pathlib import Path

import dagster as dg
import pytest

from event_analytics.cli import main
from event_analytics.defs.automation.landing_sensor import landing_zone_sensor
from event_analytics.landing import LandingZoneConfigError, LandingZoneResource
from event_analytics.landing.s3 import S3Storage
from event_analytics.setting_parsers import S3Location
from event_analytics.settings import EVENTS_LANDING_URL, SettingError
from harness import PLATFORM_ASSETS, Platform, metadata_of
from network import free_loopback_port
from s3_server import S3Bucket

# Starts moto's server and loads through real HTTP: about half a minute in all on 2 cores.
pytestmark = pytest.mark.slow

LINE = '{"event_id":"%s","user_id":"u1","event_type":"page_view","occurred_at":"%sT10:00:00Z"}\n'
BAD = '{"event_id":"bad","event_type":"page_view"}\n'  # no occurred_at: rejected


class S3Platform(Platform):
    """The test platform with its landing zone in a bucket instead of a folder."""

    def __init__(self, root: Path, landing_url: str) -> None:
        super().__init__(root)
        self.landing_url = landing_url

    @property
    def resources(self) -> dict[str, object]:
        return {**super().resources, "landing": LandingZoneResource(url=self.landing_url)}


def _day(name: str) -> dt.date:
    return dt.date.fromisoformat(name)


# --- the URL --------------------------------------------------------------------------------


def test_an_s3_url_names_a_bucket_and_a_key_prefix() -> None:
    parse = EVENTS_LANDING_URL.parse
    assert parse("s3://my-bucket/landing/zone") == S3Location("my-bucket", "landing/zone/")
    assert parse("s3://my-bucket/landing/") == S3Location("my-bucket", "landing/")
    assert parse("s3://my.bucket.2025") == S3Location("my.bucket.2025", "")
    assert parse("  s3://my-bucket/  ") == S3Location("my-bucket", "")
    for bad, why in [
        ("s3://", "names no bucket"),
        ("s3:///landing", "names no bucket"),
        ("s3://My_Bucket/landing", "not a valid bucket name"),
        ("s3://my-bucket:9000/landing", "AWS_ENDPOINT_URL"),
        ("s3://my-bucket/landing?versionId=3", "query"),
        ("s3://my-bucket//landing", "empty"),
        ("gs://my-bucket/landing", "s3://bucket/prefix"),
    ]:
        with pytest.raises(SettingError, match="EVENTS_LANDING_URL") as refused:
            parse(bad)
        assert why in str(refused.value), bad


def test_credentials_in_the_url_are_refused_and_never_echoed() -> None:
    secret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCY"
    with pytest.raises(SettingError) as refused:
        EVENTS_LANDING_URL.parse(f"s3://AKIAEXAMPLE:{secret}@my-bucket/landing")
    message = str(refused.value)
    assert "AWS_ACCESS_KEY_ID" in message and "EVENTS_LANDING_URL" in message
    assert secret not in message and "AKIAEXAMPLE" not in message


def test_generate_still_writes_only_a_local_folder(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["generate", "--start", "2025-01-01", "--days", "1", "--events-per-day", "5"]
    assert main([*argv, "--seed", "1", "--out", "s3://my-bucket/landing"]) == 2
    assert "local or mounted folder" in capsys.readouterr().err


# --- listing and reading --------------------------------------------------------------------


def test_listing_follows_the_contract_and_every_page(s3: S3Bucket) -> None:
    keys = [
        "p/events/date=2025-01-01/a.jsonl",
        "p/events/date=2025-01-01/b.jsonl.gz",
        "p/events/date=2025-01-01/c.ndjson",
        "p/events/date=2025-01-01/_writing.jsonl",  # not complete yet: ignored
        "p/events/date=2025-01-01/.hidden.jsonl",
        "p/events/date=2025-01-01/notes.txt",
        "p/events/date=2025-01-01/nested/d.jsonl",  # a "subfolder": not the day's file
        "p/events/date=2025-01-02/a.jsonl",
        "p/events/date=2025-01-03/",  # an empty "folder" a console makes
        "p/events/date=2025-13-01/a.jsonl",  # not a date
        "p/events/other/a.jsonl",
        "p/a.jsonl",
        "q/events/date=2025-01-04/a.jsonl",  # another prefix of the bucket
    ]
    for key in keys:
        s3.put(key, LINE % ("e", "2025-01-01"))
    # Two keys a page: every listing needs several pages, as a day of thousands of objects does.
    storage = S3Storage(S3Location(s3.name, "p/"), page_size=2)
    assert storage.day_folder_names() == [
        "date=2025-01-01",
        "date=2025-01-02",
        "date=2025-01-03",
        "date=2025-13-01",
        "other",
    ]
    landing = LandingZoneResource(url=s3.url("p"))
    assert landing.list_days() == [_day("2025-01-01"), _day("2025-01-02"), _day("2025-01-03")]
    files = landing.list_files(_day("2025-01-01"))
    assert [f.relative_path for f in files] == [
        "events/date=2025-01-01/a.jsonl",
        "events/date=2025-01-01/b.jsonl.gz",
        "events/date=2025-01-01/c.ndjson",
    ]
    head = s3.head("p/events/date=2025-01-01/a.jsonl")
    assert files[0].size_bytes == head["ContentLength"]
    assert files[0].modified_ns == int(head["LastModified"].timestamp()) * 10**9
    assert files[0].etag == head["ETag"].strip('"')
    assert landing.list_files(_day("2025-01-03")) == []
    assert landing.list_files(_day("2025-02-01")) == []  # no such "folder": a day without files
    names = {f.name for f in storage.day_files("date=2025-01-01")}
    assert {"a.jsonl", "_writing.jsonl", ".hidden.jsonl", "notes.txt"} <= names
    assert "nested/d.jsonl" not in names


def test_plain_and_gzip_objects_are_read_whole(s3: S3Bucket) -> None:
    text = LINE % ("e1", "2025-01-01") + LINE % ("e2", "2025-01-01")
    s3.put("events/date=2025-01-01/a.jsonl", text)
    s3.put("events/date=2025-01-01/b.jsonl.gz", gzip.compress(text.encode()))
    landing = LandingZoneResource(url=s3.url(""))  # no prefix: the bucket is the root
    [plain, zipped] = landing.list_files(_day("2025-01-01"))
    assert landing.read(plain) == landing.read(zipped) == text.encode()


def test_a_bucket_without_events_yet_is_an_empty_landing_zone(s3: S3Bucket) -> None:
    landing = LandingZoneResource(url=s3.url("not/written/yet"))
    landing.check_configuration()
    assert landing.list_days() == []
    assert landing.list_files(_day("2025-01-01")) == []


# --- loading: the same tables as from a folder ----------------------------------------------


def test_a_bucket_loads_the_same_tables_as_the_same_files_in_a_folder(
    s3: S3Bucket, tmp_path: Path
) -> None:
    local = Platform(tmp_path / "local")
    # The sample has plain, CRLF and gzip files, malformed lines and re-sent duplicates.
    local.generate(dt.date(2025, 1, 1), days=2, events_per_day=400, seed=11)
    keys = s3.upload_folder(local.landing_root, "zone")
    assert any(k.endswith(".jsonl.gz") for k in keys) and any(k.endswith(".jsonl") for k in keys)
    remote = S3Platform(tmp_path / "remote", s3.url("zone"))

    days = ("2025-01-01", "2025-01-02")
    for platform in (local, remote):
        result = platform.materialize(partition_range=days, assets=PLATFORM_ASSETS)
        assert result.success
    local_tables, remote_tables = local.snapshot(), remote.snapshot()
    assert remote_tables == local_tables
    assert len(remote_tables["raw.events"]) > 700 and remote_tables["raw.rejected_events"]


def test_a_corrupt_gzip_object_is_quarantined_and_the_rest_of_the_day_loads(
    s3: S3Bucket, tmp_path: Path
) -> None:
    day = "2025-01-06"
    good = gzip.compress((LINE % ("g1", day) + LINE % ("g2", day)).encode())
    s3.put(f"zone/events/date={day}/a.jsonl", LINE % ("p1", day) + BAD + "\n")
    s3.put(f"zone/events/date={day}/b.jsonl.gz", good)
    s3.put(f"zone/events/date={day}/c.jsonl.gz", good[: len(good) // 2])  # cut off
    platform = S3Platform(tmp_path, s3.url("zone"))

    result = platform.materialize(partition=day, assets=["raw_events"])
    assert result.success
    meta = metadata_of(result, "raw_events")
    broken = f"events/date={day}/c.jsonl.gz"
    assert meta["corrupt_files"] == [broken]
    assert (meta["lines_read"], meta["rows_loaded"], meta["rows_rejected"]) == (4, 3, 1)
    assert platform.rows(
        "SELECT source_file, line_number, reason FROM raw.rejected_events ORDER BY 1"
    ) == [(f"events/date={day}/a.jsonl", 2, "missing_occurred_at"), (broken, None, "corrupt_file")]
    assert platform.rows("SELECT event_id FROM raw.events ORDER BY 1") == [
        ("g1",),
        ("g2",),
        ("p1",),
    ]
    per_file = platform.rows(
        "SELECT source_file, status, lines_read, blank_lines, rows_loaded, rows_rejected "
        "FROM raw.landed_files ORDER BY 1"
    )
    assert per_file == [
        (f"events/date={day}/a.jsonl", "loaded", 2, 1, 1, 1),
        (f"events/date={day}/b.jsonl.gz", "loaded", 2, 0, 2, 0),
        (broken, "corrupt", 0, 0, 0, 0),
    ]


# --- the landing sensor ---------------------------------------------------------------------


def _tick(url: str, cursor: str | None, instance: dg.DagsterInstance) -> dg.SensorResult:
    context = dg.build_sensor_context(
        cursor=cursor, resources={"landing": LandingZoneResource(url=url)}, instance=instance
    )
    result = landing_zone_sensor(context)
    assert isinstance(result, dg.SensorResult)
    return result


def _requested(result: dg.SensorResult) -> list[str]:
    return sorted(r.partition_key for r in result.run_requests or [] if r.partition_key)


def _at_the_start_of_a_second() -> None:
    """Wait for the clock's next whole second, so what follows shares one S3 LastModified."""
    time.sleep(1 - time.time() % 1 + 0.01)


def test_the_sensor_sees_objects_added_rewritten_and_deleted(s3: S3Bucket) -> None:
    instance = dg.DagsterInstance.ephemeral()
    url = s3.url("zone")
    s3.put("zone/events/date=2025-01-01/a.jsonl", LINE % ("e1", "2025-01-01"))
    first = _tick(url, None, instance)
    assert _requested(first) == ["2025-01-01"]
    quiet = _tick(url, first.cursor, instance)
    assert _requested(quiet) == []

    s3.put("zone/events/date=2025-01-02/a.jsonl", LINE % ("e2", "2025-01-02"))
    added = _tick(url, quiet.cursor, instance)
    assert _requested(added) == ["2025-01-02"]

    # A late object in an old day requests that day, and only that day.
    s3.put("zone/events/date=2025-01-01/late.jsonl", LINE % ("e3", "2025-01-01"))
    late = _tick(url, added.cursor, instance)
    assert _requested(late) == ["2025-01-01"]
    assert _requested(_tick(url, late.cursor, instance)) == []

    # The same key rewritten with other bytes of the same size, within the same second: only
    # the ETag tells the two apart.
    key = "zone/events/date=2025-01-02/a.jsonl"
    for _ in range(3):  # a tick that straddles a second is tried again
        _at_the_start_of_a_second()
        s3.put(key, LINE % ("e4", "2025-01-02"))
        before = _tick(url, late.cursor, instance)
        listed = s3.head(key)
        s3.put(key, LINE % ("e5", "2025-01-02"))
        rewritten = s3.head(key)
        if rewritten["LastModified"] == listed["LastModified"]:
            break
    assert rewritten["ContentLength"] == listed["ContentLength"]
    assert rewritten["LastModified"] == listed["LastModified"]
    assert rewritten["ETag"] != listed["ETag"]
    after_rewrite = _tick(url, before.cursor, instance)
    assert _requested(after_rewrite) == ["2025-01-02"]

    # A deleted object changes its day; so does deleting a day's last object.
    s3.delete("zone/events/date=2025-01-01/late.jsonl")
    after_delete = _tick(url, after_rewrite.cursor, instance)
    assert _requested(after_delete) == ["2025-01-01"]
    s3.delete(key)
    emptied = _tick(url, after_delete.cursor, instance)
    assert _requested(emptied) == ["2025-01-02"]
    assert _requested(_tick(url, emptied.cursor, instance)) == []


def test_a_quiet_tick_lists_each_day_folder_once_and_reads_no_object(s3: S3Bucket) -> None:
    """What a tick costs, as docs/landing-zone.md says: one LIST for the day folders, one per
    day folder and the start-up check's; never a GET."""
    instance = dg.DagsterInstance.ephemeral()
    days = ["2025-01-01", "2025-01-02", "2025-01-03"]
    for day in days:
        s3.put(f"zone/events/date={day}/a.jsonl", LINE % ("e", day))
    first = _tick(s3.url("zone"), None, instance)
    answered = len(s3.server.requests())
    assert _requested(_tick(s3.url("zone"), first.cursor, instance)) == []

    sent = [r for r in s3.server.requests()[answered:] if r.path.startswith(f"/{s3.name}")]
    lists = [r for r in sent if r.method == "GET" and r.path == f"/{s3.name}"]
    assert len(lists) == len(sent)  # no GET or HEAD of an object
    checks = [r for r in lists if r.query.get("max-keys") == "1"]
    assert 1 <= len(checks) <= 2 and {r.query["prefix"] for r in checks} == {"zone/events/"}
    listings = sorted(r.query["prefix"] for r in lists if r not in checks)
    assert listings == ["zone/events/"] + [f"zone/events/date={day}/" for day in days]


def test_the_sensor_does_not_reload_a_day_the_asset_loaded_from_the_bucket(
    s3: S3Bucket, tmp_path: Path
) -> None:
    """The digest `raw_events` records for an S3 day is the one the sensor computes."""
    instance = dg.DagsterInstance.ephemeral()
    s3.put("zone/events/date=2025-01-03/a.jsonl.gz", gzip.compress(b"\n"))
    s3.put("zone/events/date=2025-01-03/b.jsonl", LINE % ("e1", "2025-01-03"))
    platform = S3Platform(tmp_path, s3.url("zone"))
    loaded = platform.materialize(partition="2025-01-03", assets=["raw_events"], instance=instance)
    assert loaded.success
    assert _requested(_tick(s3.url("zone"), None, instance)) == []


# --- configuration errors: one message, naming what to fix, never a secret -------------------


def _refusal(url: str) -> str:
    with pytest.raises(LandingZoneConfigError) as refused:
        LandingZoneResource(url=url).check_configuration()
    return str(refused.value)


def _assert_clean(message: str, *secrets: str) -> None:
    assert "EVENTS_LANDING_URL" in message
    assert "Traceback" not in message and "\n" not in message
    for secret in secrets:
        assert secret not in message


def test_a_missing_bucket_is_an_error_naming_it(s3: S3Bucket) -> None:
    message = _refusal(f"s3://{s3.name}-gone/zone")
    _assert_clean(message, s3.server.secret_access_key)
    assert f"{s3.name}-gone" in message and "does not exist" in message
    assert "AWS_ENDPOINT_URL" in message


def test_an_endpoint_nobody_answers_is_an_error_naming_the_variables(
    s3: S3Bucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint = f"http://127.0.0.1:{free_loopback_port()}"
    # A password in the endpoint's URL is shown as little as the keys are.
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint.replace("//", "//proxy:Pr0xy-pw-0451@"))
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # one try: no need to wait for backoff here
    message = _refusal(s3.url("zone"))
    _assert_clean(message, s3.server.secret_access_key, "Pr0xy-pw-0451")
    assert "cannot reach" in message and endpoint in message and "AWS_ENDPOINT_URL" in message


@pytest.mark.parametrize("endpoint", ["127.0.0.1:9000", "http://user:Pr0xy-pw-0451@bad host/"])
def test_an_endpoint_that_is_not_a_url_is_an_error_naming_the_variable(
    s3: S3Bucket, monkeypatch: pytest.MonkeyPatch, endpoint: str
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    message = _refusal(s3.url("zone"))
    _assert_clean(message, s3.server.secret_access_key, "Pr0xy-pw-0451")
    assert "AWS_ENDPOINT_URL must be an http:// or https:// URL" in message


def _requests_sent(storage: S3Storage) -> list[str]:
    """The names of the requests the storage's client sends from now on, retries included."""
    sent: list[str] = []
    storage.client.meta.events.register(
        "before-send.s3", lambda event_name, **_: sent.append(event_name.rsplit(".", 1)[-1])
    )
    return sent


def test_requests_are_tried_as_many_times_as_aws_max_attempts_says(
    s3: S3Bucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    """botocore's standard retry mode, with the attempts each client finds in the environment
    (one client's setting must not stick to the next ones)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_loopback_port()}")
    for setting, expected in (("5", 5), (None, 3)):
        if setting is None:
            monkeypatch.delenv("AWS_MAX_ATTEMPTS", raising=False)
        else:
            monkeypatch.setenv("AWS_MAX_ATTEMPTS", setting)
        storage = S3Storage(S3Location(s3.name, "zone/"))
        sent = _requests_sent(storage)
        with pytest.raises(LandingZoneConfigError, match="cannot reach"):
            storage.check()
        assert sent == ["ListObjectsV2"] * expected, setting


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("AWS_SECRET_ACCESS_KEY", "Wr0ng-secret-0451-not-the-one"),
        ("AWS_ACCESS_KEY_ID", "AKIAUNKNOWNKEY0451"),
    ],
)
def test_refused_credentials_are_an_error_that_shows_no_secret(
    s3: S3Bucket, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    monkeypatch.setenv("AWS_SESSION_TOKEN", "T0ken-0451-secret")
    message = _refusal(s3.url("zone"))
    _assert_clean(message, s3.server.secret_access_key, value, "T0ken-0451-secret")
    assert "refused" in message
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        assert name in message


def test_no_credentials_at_all_is_an_error_naming_the_variables(
    s3: S3Bucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    message = _refusal(s3.url("zone"))
    _assert_clean(message)
    assert "no AWS credentials" in message and "AWS_ACCESS_KEY_ID" in message


def test_a_bad_bucket_stops_the_run_before_any_step(s3: S3Bucket, tmp_path: Path) -> None:
    platform = S3Platform(tmp_path, f"s3://{s3.name}-gone/zone")
    result = platform.materialize(partition="2025-01-01", assets=["raw_events"])
    assert not result.success
    failures = [
        e for e in result.all_events if e.event_type == dg.DagsterEventType.RESOURCE_INIT_FAILURE
    ]
    assert failures and not any(
        e.event_type == dg.DagsterEventType.STEP_START for e in result.all_events
    )
    assert "does not exist" in str(failures[0].event_specific_data)
    assert not platform.db_path.exists()


def test_check_config_checks_the_bucket(
    s3: S3Bucket,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("WAREHOUSE_URL", f"duckdb:///{tmp_path / 'w.duckdb'}")
    monkeypatch.setenv("EVENTS_LANDING_URL", s3.url("zone"))
    assert main(["check-config"]) == 0
    assert "configuration OK" in capsys.readouterr().out

    monkeypatch.setenv("EVENTS_LANDING_URL", f"s3://{s3.name}-gone/zone")
    assert main(["check-config"]) == 1
    err = capsys.readouterr().err
    assert "EVENTS_LANDING_URL" in err and "does not exist" in err
    assert s3.server.secret_access_key not in err
