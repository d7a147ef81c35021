"""Dashboard storage: validation, duplicates counted once, malformed messages kept aside, the
overview's numbers, small counts, and the same behaviour on PostgreSQL."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from dashboard.charts import masked, stacked_bars
from dashboard.pilot import Pilot, percentile_from_bins
from dashboard.storage import Incoming, Storage
from tests.dashboard_data import ORG, health, signal, stats, status, turn
from tests.postgres import throwaway_postgres

DAY = datetime(2026, 11, 24, 8, tzinfo=UTC)
TODAY = date(2026, 11, 24)


@pytest.fixture(params=["sqlite", "postgresql"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    if request.param == "sqlite":
        store = Storage(f"sqlite:///{tmp_path / 'dashboard.db'}")
        yield store
        store.close()
        return
    for url in throwaway_postgres():
        store = Storage(url)
        yield store
        store.close()


def test_ingest_overview_and_duplicates(storage: Storage) -> None:
    batch = [
        stats("dev-1", 1, DAY, [turn("next_visit", "answered", 12), turn("access", "gated", 3)]),
        stats(
            "dev-1",
            2,
            DAY.replace(hour=9),
            [turn("flags", "must_verify", 6), turn("unknown", "unknown", 4, path="none")],
        ),
        stats("dev-2", 1, DAY, [turn("escalation", "escalated", 5)], team="hisingen-1"),
        health("dev-1", 3),
        status("dev-1", True),
    ]
    result = storage.ingest(batch)
    assert (result.stored, result.duplicates, result.rejected) == (5, 0, 0)
    again = storage.ingest(batch[:3])  # the same (device_id, seq): counted once
    assert (again.stored, again.duplicates) == (0, 3)
    overview = storage.overview(7, TODAY)
    assert overview.total == 30
    assert overview.outcomes == {
        "answered": 12,
        "gated": 3,
        "must_verify": 6,
        "unknown": 4,
        "escalated": 5,
    }
    assert overview.per_day_team == {(TODAY, "majorna-2"): 25, (TODAY, "hisingen-1"): 5}
    assert overview.intents[0] == ("next_visit", 12)
    assert overview.paths == {"template": 26, "none": 4}
    assert overview.latency == [(TODAY, 50, 50)]
    team_only = storage.overview(7, TODAY, team="hisingen-1")
    assert team_only.total == 5
    devices = {d["device_id"]: d for d in storage.devices()}
    assert devices["dev-1"]["online"] == 1 and devices["dev-1"]["backlog"] == 3
    assert devices["dev-2"]["team"] == "hisingen-1"


def test_malformed_messages_are_kept_aside_not_fatal(storage: Storage) -> None:
    good = stats("dev-1", 1, DAY, [turn("help", "answered", 1)])
    bad = [
        Incoming(f"hemassist/v1/{ORG}/dev-1/stats", b"not json at all"),
        Incoming(f"hemassist/v1/{ORG}/dev-1/stats", b'{"schema_version": 3, "kind": "stats"}'),
        Incoming(
            f"hemassist/v1/{ORG}/dev-1/stats",
            b'{"schema_version": 1, "kind": "stats", '
            b'"device_id": "dev-1", "org": "goteborg", "seq": 5, "note": "Anna"}',
        ),
        Incoming(f"hemassist/v1/{ORG}/dev-9/stats", good.payload),  # topic names another device
        Incoming("some/other/topic", good.payload),
        Incoming(f"hemassist/v1/{ORG}/dev-1/stats", b"[1, 2]"),
    ]
    result = storage.ingest([*bad, good])
    assert (result.stored, result.rejected) == (1, 6)
    reasons = [r[2] for r in storage.rejected()]
    assert "payload is not JSON" in reasons and "unknown schema_version" in reasons
    assert any("topic and payload" in r for r in reasons)
    assert all("Anna" not in r for r in reasons)  # reasons name fields, not values
    assert storage.overview(7, TODAY).total == 1


def test_status_keeps_the_newest(storage: Storage) -> None:
    storage.ingest([status("dev-1", True, DAY.replace(hour=10))])
    storage.ingest([status("dev-1", False, DAY.replace(hour=9))])  # an older one, delivered late
    assert storage.devices()[0]["online"] == 1


def test_percentiles_from_bins() -> None:
    assert percentile_from_bins([0] * 12, 0.5) is None
    assert percentile_from_bins([10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0.95) == 10
    assert percentile_from_bins([50, 0, 0, 0, 45, 0, 0, 0, 0, 0, 0, 5], 0.5) == 10
    assert percentile_from_bins([50, 0, 0, 0, 45, 0, 0, 0, 0, 0, 0, 5], 0.95) == 250
    assert percentile_from_bins([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5], 0.95) == 10000


def test_small_counts_are_masked() -> None:
    assert [masked(n, 5) for n in (0, 1, 4, 5, 17)] == ["0", "<5", "<5", "5", "17"]
    svg = stacked_bars([TODAY], ["a", "b"], {(TODAY, "a"): 3, (TODAY, "b"): 9}, 5, "t")
    assert 'data-count="9"' in svg and 'data-count="3"' not in svg


def test_rejected_messages_keep_no_content(storage: Storage) -> None:
    secret = "Bertil Andersson 19350412-1234 portkod 4711"
    bad = [
        Incoming(f"hemassist/v1/{ORG}/dev-1/stats", secret.encode()),
        Incoming(
            f"hemassist/v1/{ORG}/dev-1/stats",
            json.dumps(
                {
                    "schema_version": 2,
                    "kind": "health",
                    "device_id": "dev-1",
                    "org": ORG,
                    "seq": 1,
                    "models": {secret: "1"},
                    secret: 1,
                }
            ).encode(),
        ),
        Incoming(f"hemassist/v1/{ORG}/dev-1/{secret}", b"{}"),
        Incoming(
            f"hemassist/v1/{ORG}/dev-1/stats", json.dumps({"schema_version": secret}).encode()
        ),
    ]
    assert storage.ingest(bad).rejected == 4
    rows = storage.rejected()
    assert {size for *_, size, _ in rows} == {len(item.payload) for item in bad}
    assert all(len(digest) == 64 for *_, digest in rows)
    dump = repr(storage._execute("SELECT * FROM rejected").fetchall())
    for part in ("Bertil", "19350412", "4711"):
        assert part not in dump, part
    assert f"hemassist/v1/{ORG}/dev-1/?" in [topic for _, topic, *_ in rows]


def test_an_old_database_forgets_rejected_content(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE rejected (id INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, "
            "received_at TEXT NOT NULL, reason TEXT NOT NULL, payload BLOB)"
        )
        db.execute(
            "INSERT INTO rejected (topic, received_at, reason, payload) VALUES (?,?,?,?)",
            (
                "hemassist/v1/goteborg/dev-1/stats",
                "2026-11-01T00:00:00",
                "payload is not JSON",
                b"Greta Svensson",
            ),
        )
    storage = Storage(f"sqlite:///{path}")
    try:
        assert storage.rejected()[0][3] == len(b"Greta Svensson")
        assert storage.rejected()[0][4].startswith("prefix:")
    finally:
        storage.close()
    assert b"Greta" not in path.read_bytes()  # not even in a free page


def test_version_1_and_2_are_both_accepted(storage: Storage) -> None:
    old = stats("dev-1", 1, DAY, [turn("help", "answered", 3)])
    raw = json.loads(old.payload)
    raw["schema_version"] = 1
    v1 = Incoming(old.topic, json.dumps(raw).encode())
    v2 = stats("dev-2", 1, DAY, [turn("next_visit", "answered", 4)])
    assert storage.ingest([v1, v2]).stored == 2
    assert storage.overview(7, TODAY).total == 7
    raw["seq"], raw["signals"] = (
        2,
        [
            {
                "signal": "bad",
                "intent": "help",
                "path": "template",
                "outcome": "answered",
                "count": 1,
            }
        ],
    )
    refused = storage.ingest([Incoming(old.topic, json.dumps(raw).encode())])
    assert refused.rejected == 1  # a version 1 message can't carry signals


def test_pilot_weeks_from_stored_counts(storage: Storage) -> None:
    """Two weeks of a team's usage with feedback and repeats, read back per week."""
    monday = datetime(2026, 11, 23, 9, tzinfo=UTC)
    storage.ingest(
        [
            stats(
                "dev-1",
                1,
                monday,
                [turn("next_visit", "answered", 10), turn("feedback", "answered", 4)],
                signals=[signal("good", 3), signal("bad", 1)],
            ),
            stats("dev-2", 1, monday, [turn("unknown", "unknown", 2, path="none")]),
            stats(
                "dev-1",
                2,
                monday + timedelta(days=7),
                [turn("flags", "clarify", 6), turn("repeat", "answered", 2)],
                signals=[signal("repeat", 2, "flags", "clarify")],
            ),
            stats("dev-9", 1, monday, [turn("next_visit", "answered", 50)], team="hisingen-1"),
        ]
    )
    pilot = Pilot("majorna-2", date(2026, 11, 23), date(2026, 12, 6))
    storage.set_pilot(pilot)
    assert storage.pilots() == {"majorna-2": pilot}
    assert "majorna-2" in storage.teams() and "hisingen-1" in storage.teams()
    first, second = storage.week_counts("majorna-2", pilot.start, pilot.end)
    assert first.week == date(2026, 11, 23) and second.week == date(2026, 11, 30)
    assert dict(first.outcomes) == {"answered": 10, "unknown": 2}  # "tack" is not a question
    assert dict(first.signals) == {"good": 3, "bad": 1} and first.devices == 2
    assert dict(second.outcomes) == {"clarify": 6} and dict(second.signals) == {"repeat": 2}
    assert second.devices == 1 and sum(second.latency_bins) == 8
    assert storage.devices_active("majorna-2", pilot.start, pilot.end) == 2


def test_a_device_history_per_day(storage: Storage) -> None:
    """Questions per day and the day's worst health values, newest day first."""
    day1, day2 = datetime(2026, 11, 23, 9, tzinfo=UTC), datetime(2026, 11, 24, 9, tzinfo=UTC)
    storage.ingest(
        [
            stats(
                "dev-1",
                1,
                day1,
                [turn("next_visit", "answered", 7), turn("feedback", "answered", 2)],
            ),
            health("dev-1", 2, backlog=3, at=day1, disk_free_mb=900),
            health("dev-1", 3, backlog=40, at=day1 + timedelta(hours=2), disk_free_mb=1200),
            health("dev-1", 4, backlog=0, at=day2, disk_free_mb=800),
            stats("dev-2", 1, day2, [turn("help", "answered", 5)]),
        ]
    )
    assert storage.device("nobody") is None
    assert storage.device("dev-1")["team"] == "majorna-2"
    newest, oldest = storage.device_history("dev-1", 7, date(2026, 11, 24))
    assert newest["day"] == "2026-11-24" and newest["reports"] == 1 and "questions" not in newest
    assert oldest["questions"] == 7  # "tack" is not a question
    assert (oldest["reports"], oldest["backlog"], oldest["disk_free_mb"]) == (2, 40, 900)


def test_a_device_says_when_its_care_data_was_exported(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:  # a devices table from before 0.3: no care_exported
        db.execute(
            "CREATE TABLE devices (device_id TEXT PRIMARY KEY, org TEXT, team TEXT, "
            "last_seen TEXT, online INTEGER, status_at TEXT, app_version TEXT, models TEXT, "
            "backlog BIGINT, dropped BIGINT, uptime_s BIGINT, cpu_temp_c REAL, mem_used_mb BIGINT, "
            "mem_total_mb BIGINT, disk_free_mb BIGINT, health_at TEXT)"
        )
    storage = Storage(f"sqlite:///{path}")
    try:
        exported = DAY - timedelta(days=3)
        storage.ingest([health("dev-1", 1, at=DAY, care_exported=exported)])
        assert storage.device("dev-1")["care_exported"] == exported.isoformat()  # type: ignore[index]
        storage.ingest([health("dev-1", 2, at=DAY + timedelta(hours=1))])  # wiped since
        assert storage.device("dev-1")["care_exported"] is None  # type: ignore[index]
    finally:
        storage.close()
