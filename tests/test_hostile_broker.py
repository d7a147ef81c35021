"""Hostile devices through a real Mosquitto with the configuration `provision fleet` writes: no
device can take the collector's place or another device's, poison never stalls the collector,
and a backlog of 5,000 messages queued while the collector is away all arrives."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from dashboard.storage import Incoming, Storage
from provisioning.localbroker import ORG, PASSWORDS
from tests.dashboard_data import stats, turn
from tests.test_dashboard_e2e import _collector

HOUR = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


def _device(broker: Any, user: str, client_id: str) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    client.tls_set(ca_certs=str(broker.ca_file))
    client.username_pw_set(user, PASSWORDS[user])
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    return client


def _close(client: mqtt.Client) -> None:
    client.loop_stop()
    client.disconnect()


def _wait(predicate: Any, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())


def _publish(client: mqtt.Client, device: str, seqs: range, count: int = 1) -> None:
    infos = []
    for seq in seqs:
        message = stats(device, seq, HOUR, [turn("help", "answered", count)])
        infos.append(client.publish(message.topic, message.payload, qos=1))
    for info in infos:
        info.wait_for_publish(30)


@pytest.fixture
def storage(tmp_path: Path) -> Iterator[Storage]:
    store = Storage(f"sqlite:///{tmp_path / 'dash' / 'dashboard.db'}")
    yield store
    store.close()


def _questions(storage: Storage) -> int:
    return storage.overview(2, datetime.now(UTC).astimezone(storage.tz).date()).total


def test_the_broker_runs_the_generated_configuration(broker: Any) -> None:
    conf = (broker.workdir / "mosquitto.conf").read_text()
    assert "use_username_as_clientid true" in conf
    assert "max_queued_messages 10000" in conf
    assert broker.proc is not None and broker.proc.poll() is None  # Mosquitto accepted every line
    log = (broker.workdir / "mosquitto.log").read_text()
    assert "port 1883" not in log  # no plain default listener beside the TLS one


def test_a_device_cannot_take_the_collectors_place(broker: Any, storage: Storage) -> None:
    collector = _collector(broker, storage)
    impostors = [
        _device(broker, "dev-1", "hemassist-dashboard"),  # the collector's client id
        _device(broker, "dev-1", "dashboard"),  # the collector's account name
    ]
    honest = _device(broker, "dev-2", "dev-2")
    try:
        time.sleep(0.5)
        _publish(honest, "dev-2", range(1, 101))
        assert _wait(lambda: collector.stats.stored >= 100)
        assert _questions(storage) == 100
    finally:
        for client in [*impostors, honest]:
            _close(client)
        collector.stop()


def test_a_device_cannot_take_another_devices_id(broker: Any, storage: Storage) -> None:
    collector = _collector(broker, storage)
    honest = _device(broker, "dev-2", "dev-2")
    disconnected: list[object] = []
    honest.on_disconnect = lambda *args: disconnected.append(args)
    try:
        thief = _device(broker, "dev-1", "dev-2")  # dev-1's account, dev-2's client id
        time.sleep(0.5)
        _publish(thief, "dev-2", range(1, 11))  # dev-2's topic: the ACL refuses it
        _publish(honest, "dev-2", range(11, 21))
        assert _wait(lambda: collector.stats.stored >= 10)
        time.sleep(0.5)
        assert not disconnected  # dev-2 was never thrown off
        assert collector.stats.stored == 10 and _questions(storage) == 10
        _close(thief)
    finally:
        _close(honest)
        collector.stop()


def test_poison_from_several_devices_never_stalls_the_collector(
    broker: Any, storage: Storage
) -> None:
    collector = _collector(broker, storage)
    devices = {name: _device(broker, name, name) for name in ("dev-1", "dev-2")}
    poison = [
        json.dumps({**json.loads(stats("dev-1", 900, HOUR, [turn("help", "answered", 1)]).payload),
                    "turns": [{"intent": "help", "language": "sv", "path": "template",
                               "outcome": "answered", "engine": "vosk", "count": 10**20}]}),
        '{"schema_version": 2, "extra": ' + "[" * 5000 + "]" * 5000 + "}",
        json.dumps({**json.loads(stats("dev-2", 901, HOUR, [turn("help", "answered", 1)]).payload),
                    "hour_start": "9999-12-31T00:00:00+00:00"}),
        "\x00\xff not json",
    ]  # fmt: skip
    try:
        for round_no in range(3):
            base = round_no * 100
            for name, client in devices.items():
                topic = f"hemassist/v1/{ORG}/{name}/stats"
                for payload in poison:
                    client.publish(topic, payload.encode("utf-8", "surrogateescape"), qos=1)
                _publish(client, name, range(base + 1, base + 21))
            stored = 40 * (round_no + 1)
            assert _wait(lambda s=stored: _questions(storage) >= s), round_no
            collector.stop()  # restarted twice: still healthy, nothing redelivered wrongly
            collector = _collector(broker, storage)
        assert _wait(lambda: len(storage.rejected(1000)) >= 24)
        assert _questions(storage) == 120
    finally:
        for client in devices.values():
            _close(client)
        collector.stop()


def test_five_thousand_messages_queued_while_the_collector_is_away(
    broker: Any, storage: Storage
) -> None:
    _collector(broker, storage).stop()  # the collector's session exists, then it is away
    device = _device(broker, "dev-1", "dev-1")
    try:
        _publish(device, "dev-1", range(1, 5001))
    finally:
        _close(device)
    collector = _collector(broker, storage)
    try:
        assert _wait(lambda: collector.stats.stored >= 5000, timeout=120), collector.stats
        assert _questions(storage) == 5000
    finally:
        collector.stop()


def test_storage_down_holds_the_messages_until_it_is_back(broker: Any, storage: Storage) -> None:
    """A real fault: triggers make the database refuse every insert, then are dropped."""
    with storage.lock:
        for table in ("messages", "rejected"):
            storage._db.execute(
                f"CREATE TRIGGER down_{table} BEFORE INSERT ON {table} "
                "BEGIN SELECT RAISE(ABORT, 'disk gone'); END"
            )
        storage._db.commit()
    collector = _collector(broker, storage)
    device = _device(broker, "dev-1", "dev-1")
    try:
        _publish(device, "dev-1", range(1, 31))
        assert _wait(lambda: storage.collector_problem is not None)
        assert _questions(storage) == 0
        with storage.lock:
            for table in ("messages", "rejected"):
                storage._db.execute(f"DROP TRIGGER down_{table}")
            storage._db.commit()
        assert _wait(lambda: _questions(storage) == 30, timeout=90)
        assert storage.collector_problem is None
    finally:
        _close(device)
        collector.stop()


def test_ingest_of_a_poison_incoming_directly(storage: Storage) -> None:
    """The same poison without a broker: one call, no exception."""
    result = storage.ingest([Incoming(f"hemassist/v1/{ORG}/dev-1/stats", b"[" * 5000)])
    assert result.rejected == 1
