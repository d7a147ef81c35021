"""One bad or stolen device never stalls the statistics or breaks the dashboard: every payload
ends stored, duplicate or rejected; numbers are bounded; a device's team comes from
provisioning; rejections are kept bounded; the dashboard's files are private."""

from __future__ import annotations

import json
import stat
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from dashboard import ingest as ingest_module
from dashboard.storage import Incoming, Storage
from provisioning.fleet import InventoryRow, write_fleet
from provisioning.identity import ProvisionError, check_id
from tests.dashboard_data import ORG, health, stats, turn
from tests.test_dashboard_storage import storage

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
HOUR = NOW.replace(hour=8)
TODAY = date(2026, 11, 24)
TOPIC = f"hemassist/v1/{ORG}/dev-1/stats"
__all__ = ["storage"]  # the fixture: SQLite and a real PostgreSQL


def _valid(seq: int, count: int = 3, device: str = "dev-1") -> Incoming:
    return stats(device, seq, HOUR, [turn("next_visit", "answered", count)])


def _raw(seq: int, **changes: Any) -> Incoming:
    """A valid stats message with fields replaced after serialisation (what a hostile device
    can send, since it doesn't have to use our schema)."""
    body = json.loads(_valid(1).payload)
    body["seq"] = seq
    for key, value in changes.items():
        if key == "count":
            body["turns"][0]["count"] = value
        else:
            body[key] = value
    return Incoming(TOPIC, json.dumps(body).encode())


POISON = {
    "count 10^20": _raw(100, count=10**20),
    "count 2^62": _raw(101, count=2**62),
    "seq 2^63": _raw(2**63),
    "year 9999": _raw(102, hour_start="9999-12-31T00:00:00+00:00"),
    "no time zone": _raw(103, hour_start="2026-11-24T08:00:00"),
    "deep extra field": Incoming(
        TOPIC,
        json.dumps(json.loads(_valid(104).payload))[:-1].encode()
        + b', "extra": '
        + b"[" * 5000
        + b"]" * 5000
        + b"}",
    ),
    "huge payload": Incoming(TOPIC, b'{"x": "' + b"a" * 400_000 + b'"}'),
    "schema_version echo": Incoming(TOPIC, b'{"schema_version": "Anna Andersson 4512"}'),
    "histogram 10^19": Incoming(
        TOPIC,
        _valid(105).payload.replace(b'"counts":[0,0,3,', b'"counts":[0,0,10000000000000000000,'),
    ),
}


@pytest.mark.parametrize("name", list(POISON))
def test_poison_is_rejected_and_the_batch_beside_it_stored(storage: Storage, name: str) -> None:
    batch = [_valid(1), POISON[name], _valid(2)]
    result = storage.ingest(batch, now=NOW)
    assert (result.stored, result.rejected) == (2, 1), name
    assert storage.overview(30, TODAY).total == 6
    reasons = [r[2] for r in storage.rejected()]
    assert all("Anna" not in r and "4512" not in r for r in reasons)
    assert all(len(r) < 80 for r in reasons)


def test_huge_counts_never_break_the_overview(storage: Storage) -> None:
    storage.ingest([_raw(1, count=2**62), _raw(2, count=2**62)], now=NOW)
    storage.ingest([_valid(3, count=100_000), _valid(4, count=100_000)], now=NOW)
    assert storage.overview(30, TODAY).total == 200_000
    assert storage.overview(365, TODAY).total == 200_000


def test_nan_and_out_of_range_health_is_rejected(storage: Storage) -> None:
    good = json.loads(health("dev-1", 1, at=NOW).payload)
    for seq, temp in enumerate(["NaN", "Infinity", "-Infinity", "1e6"], start=2):
        text = json.dumps({**good, "seq": seq}).replace(
            '"cpu_temp_c": 51.5', f'"cpu_temp_c": {temp}'
        )
        result = storage.ingest([Incoming(TOPIC, text.encode())], now=NOW)
        assert result.rejected == 1, temp
    assert storage.ingest([health("dev-1", 9, at=NOW)], now=NOW).stored == 1


def test_a_fault_while_storing_one_message_rejects_that_message_only(tmp_path: Path) -> None:
    """A real database fault (a trigger aborting one device's insert), not a mock."""
    store = Storage(f"sqlite:///{tmp_path / 'dashboard.db'}")
    store._db.execute(
        "CREATE TRIGGER poison BEFORE INSERT ON messages WHEN NEW.device_id = 'dev-9' "
        "BEGIN SELECT RAISE(ABORT, 'Anna Andersson'); END"
    )
    batch = [_valid(1), _valid(1, device="dev-9"), _valid(2)]
    result = store.ingest(batch, now=NOW)
    assert (result.stored, result.rejected) == (2, 1)
    reason = store.rejected()[0][2]
    assert reason == "could not be stored (IntegrityError)" and "Anna" not in reason
    assert store.overview(30, TODAY).total == 6


def test_storage_down_raises_so_nothing_is_acked(tmp_path: Path) -> None:
    store = Storage(f"sqlite:///{tmp_path / 'dashboard.db'}")
    for table in ("messages", "rejected"):
        store._db.execute(
            f"CREATE TRIGGER down_{table} BEFORE INSERT ON {table} "
            "BEGIN SELECT RAISE(ABORT, 'disk gone'); END"
        )
    with pytest.raises(Exception, match="disk gone"):
        store.ingest([_valid(1), _valid(2)], now=NOW)
    for table in ("messages", "rejected"):
        store._db.execute(f"DROP TRIGGER down_{table}")
    assert store.ingest([_valid(1), _valid(2)], now=NOW).stored == 2  # the broker's redelivery


def test_rejections_are_kept_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingest_module, "REJECTED_KEEP", 50)
    store = Storage(f"sqlite:///{tmp_path / 'dashboard.db'}")
    store.ingest([Incoming(TOPIC, b"junk")] * 10, now=NOW - timedelta(days=200))
    for _ in range(3):
        store.ingest([Incoming(TOPIC, b"junk")] * 30, now=NOW)
    kept = store.rejected(limit=1000)
    assert len(kept) <= 50
    assert all(at.startswith("2026-11-24") for at, *_ in kept)  # the 200-day-old ones are gone


def test_the_team_comes_from_provisioning(tmp_path: Path) -> None:
    store = Storage(f"sqlite:///{tmp_path / 'dashboard.db'}", fleet={"dev-1": "majorna-2"})
    lying = stats("dev-1", 1, HOUR, [turn("help", "answered", 4)], team="hisingen-1")
    stranger = stats("dev-7", 1, HOUR, [turn("help", "answered", 4)])
    result = store.ingest([lying, stranger], now=NOW)
    assert (result.stored, result.rejected) == (1, 1)
    assert store.overview(30, TODAY).per_day_team == {(TODAY, "majorna-2"): 4}
    assert store.rejected()[0][2] == "device not in the fleet file"


def test_the_dashboards_files_are_private(tmp_path: Path) -> None:
    folder = tmp_path / "dash"
    folder.mkdir(mode=0o755)
    Storage(f"sqlite:///{folder / 'dashboard.db'}").close()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "dashboard.db").stat().st_mode) == 0o600


# --- property: whatever arrives, ingest never raises and every valid message counts once ------

HOSTILE_TOPIC = f"hemassist/v1/{ORG}/dev-h/stats"


def _hostile_from(field: str, value: object) -> bytes:
    """A valid message of device dev-h with one field replaced by anything."""
    body = json.loads(stats("dev-h", 7, HOUR, [turn("help", "answered", 1)]).payload)
    return json.dumps({**body, field: value}).encode()


_hostile = st.one_of(
    st.binary(max_size=300),
    st.sampled_from([i.payload for i in POISON.values()]),
    st.builds(
        _hostile_from,
        st.sampled_from(["seq", "hour_start", "team", "turns", "latency", "org", "kind"]),
        st.one_of(
            st.integers(min_value=-(2**70), max_value=2**70),
            st.floats(allow_nan=True),
            st.text(max_size=20),
            st.none(),
            st.lists(st.integers(), max_size=3),
            st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
        ),
    ),
    st.builds(lambda n: b"[" * n + b"]" * n, st.integers(1, 3000)),
)


def test_ingest_never_raises_and_counts_each_valid_message_once(tmp_path: Path) -> None:
    store = Storage(f"sqlite:///{tmp_path / 'dashboard.db'}")
    seqs = iter(range(1, 10**9))
    expected = 0  # questions from dev-1's valid messages, each counted once

    @given(
        st.lists(
            st.one_of(
                st.integers(1, 50).map(lambda n: ("valid", n)),
                _hostile.map(lambda p: ("hostile", p)),
            ),
            min_size=1,
            max_size=20,
        )
    )
    @hsettings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
    def check(items: list[tuple[str, Any]]) -> None:
        nonlocal expected
        batch = [
            _valid(next(seqs), value) if kind == "valid" else Incoming(HOSTILE_TOPIC, value)
            for kind, value in items
        ]
        valid = [value for kind, value in items if kind == "valid"]
        result = store.ingest(batch, now=NOW)  # never raises
        assert result.stored + result.duplicates + result.rejected == len(batch)
        assert result.stored >= len(valid)
        expected += sum(valid)
        again = store.ingest(batch, now=NOW)  # the broker's redelivery: nothing counts twice
        assert again.stored == 0 or again.stored <= len(batch) - len(valid)
        history = store.device_history("dev-1", 30, TODAY)
        assert (history[0]["questions"] if history else 0) == expected
        store.overview(30, TODAY)  # every page's queries still answer
        store.overview(365, TODAY)
        store.devices()
        store.week_counts("majorna-2", TODAY - timedelta(days=28), TODAY)
        store.device_history("dev-h", 30, TODAY)

    check()


# --- provisioning ------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["dashboard", "collector", "mosquitto", "dev-1\n", "dev-1 ", "-x"])
def test_reserved_and_sloppy_device_ids_are_refused(bad: str) -> None:
    with pytest.raises(ProvisionError):
        check_id("device id", bad)


def test_fleet_writes_the_broker_configuration_and_the_team_file(tmp_path: Path) -> None:
    rows = [InventoryRow(2, "dev-1", "majorna-2"), InventoryRow(3, "dev-2", "hisingen-1")]
    write_fleet(rows, ORG, "mqtts://broker.example:8883", tmp_path / "fleet")
    conf = (tmp_path / "fleet" / "broker" / "hemassist.conf").read_text()
    for line in [
        "allow_anonymous false",
        "use_username_as_clientid true",
        "autosave_interval 60",
        "max_queued_messages 10000",
        "max_inflight_messages 20",
        f"message_size_limit {4 * 1024 * 1024}",
        "listener 8883",
        "password_file /etc/mosquitto/hemassist/passwd",
        "acl_file /etc/mosquitto/hemassist/acl",
    ]:
        assert line in conf.splitlines(), line
    # Debian's mosquitto.conf sets persistence; the whole configuration sets it itself.
    assert not any(line.startswith("persistence") for line in conf.splitlines())
    standalone = (tmp_path / "fleet" / "broker" / "standalone.conf").read_text().splitlines()
    assert "persistence true" in standalone and "persistence_location /var/lib/mosquitto/" in (
        standalone
    )
    fleet = (tmp_path / "fleet" / "dashboard" / "fleet.toml").read_text()
    assert 'dev-1 = "majorna-2"' in fleet and 'dev-2 = "hisingen-1"' in fleet
