"""Care data over the broker, end to end: `provision fleet` writes the keys and the ACL, a real
Mosquitto runs the generated configuration, `provision data publish` seals and signs a bundle
for each device of a team, and `provision data receive --once` (or the long-running process)
verifies and imports it. Everything hostile is refused and the data in use keeps answering."""

from __future__ import annotations

import base64
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from device.care import sealed
from device.care.store import CareStore
from device.cli import main
from device.commands.delivery import CareReceiver, Result
from device.settings import Settings, load_settings
from device.telemetry.mqtt import BrokerConfig, MqttLink
from provisioning.localbroker import Broker, make_broker
from provisioning.publish import broker_config
from tests.conftest import DATA, EXAMPLE, MORNING

SECOND = DATA / "second-bundle.json"  # exported a day after the example
ORG = "goteborg"
TEAM = ["dev-a", "dev-b", "dev-c"]  # team-1; dev-d is in team-2


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    inventory = tmp_path / "inventory.csv"
    rows = [f"{d},team-1,sv," for d in TEAM] + ["dev-d,team-2,sv,"]
    inventory.write_text("device_id,team,language,worker\n" + "\n".join(rows) + "\n")
    out = tmp_path / "fleet"
    args = ["provision", "fleet", str(inventory), "--org", ORG, "--out", str(out)]
    assert main([*args, "--broker-url", "mqtts://127.0.0.1:8883"]) == 0
    return out


@pytest.fixture
def broker(fleet: Path, tmp_path: Path) -> Iterator[Broker]:
    """Mosquitto with the fleet's password file and ACL, and the generated configuration."""
    running = make_broker(
        tmp_path / "broker",
        passwd=(fleet / "broker/passwd").read_text(),
        acl=(fleet / "broker/acl").read_text(),
    )
    running.start()
    yield running
    running.stop()


def use_device(
    monkeypatch: pytest.MonkeyPatch, fleet: Path, broker: Broker, device: str, **extra: str
) -> Settings:
    """This process becomes ``device``: its site file from the fleet, files in the test's
    folders instead of /etc/hemassist, its own data directory."""
    folder = fleet / "devices" / device
    monkeypatch.setenv("HEMASSIST_CONFIG", str(folder / "site.toml"))
    monkeypatch.setenv("HEMASSIST_DATA_DIR", str(fleet.parent / f"data-{device}"))
    for name, value in {
        "TELEMETRY__BROKER_URL": broker.url,
        "TELEMETRY__CA_FILE": str(broker.ca_file),
        "TELEMETRY__SECRETS_FILE": str(folder / "secrets.toml"),
        "TELEMETRY__BACKOFF_MAX_S": "1",
        "DELIVERY__KEY_FILE": str(folder / "care.key"),
        "DELIVERY__RECEIVE_TIMEOUT_S": "3",
        **extra,
    }.items():
        monkeypatch.setenv(f"HEMASSIST_{name}", value)
    return load_settings()


def publish(fleet: Path, broker: Broker, bundle: Path, team: str = "team-1") -> int:
    return main(
        [
            *("provision", "data", "publish", str(bundle), "--fleet", str(fleet), "--team", team),
            *("--broker-url", broker.url, "--ca", str(broker.ca_file), "--timeout", "30"),
        ]
    )


def receive(monkeypatch: pytest.MonkeyPatch, fleet: Path, broker: Broker, device: str) -> int:
    use_device(monkeypatch, fleet, broker, device)
    return main(["provision", "data", "receive", "--once"])


def in_use(settings: Settings) -> str | None:
    store = CareStore(settings.data_dir, settings.store.retention_days)
    try:
        status = store.status()
        return status.bundle_id if status else None
    finally:
        store.close()


def inject(fleet: Path, broker: Broker, device: str, payload: bytes) -> None:
    """Publish raw bytes, retained, to a device's care topic with IT's publishing account."""
    link = MqttLink(broker_config(fleet, broker.url, broker.ca_file), "care-publisher", None)
    link.connect()
    mid = link.publish(sealed.care_topic(ORG, device), payload, retain=True)
    deadline = time.monotonic() + 10
    while mid not in link.poll(0.05) and time.monotonic() < deadline:
        pass
    link.close()


def sealed_for(fleet: Path, device: str, bundle: Path, key_of: str | None = None) -> bytes:
    """A message as `publish` makes it (optionally sealed to another device's key)."""
    raw = bundle.read_bytes()
    return sealed.seal(
        raw,
        org=ORG,
        device_id=device,
        recipient=sealed.device_public(
            (fleet / "devices" / (key_of or device) / "care.pub").read_text()
        ),
        exported=datetime.fromisoformat(json.loads(raw)["timestamp"]),
        published=datetime.now(UTC),
        signer=sealed.load_publisher_key(fleet / "publisher" / "publisher.key"),
    )


# -- arriving ----------------------------------------------------------------------------------


def test_a_bundle_published_for_three_devices_arrives_at_each(
    fleet: Path,
    broker: Broker,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The devices are all off while IT publishes: the retained message waits for each.
    assert publish(fleet, broker, EXAMPLE) == 0
    out = capsys.readouterr().out
    assert "to 3 of 3 devices of team team-1" in out
    assert "Greta" not in out and "Bertil" not in out  # counts, never contents
    for device in TEAM:
        assert receive(monkeypatch, fleet, broker, device) == 0
        assert in_use(load_settings()) == "example-majorna-2026-11-24"
    # dev-d is in another team: nothing was published for it.
    assert receive(monkeypatch, fleet, broker, "dev-d") == 0
    assert "No care data is waiting" in capsys.readouterr().out
    assert in_use(load_settings()) is None
    # The next day's bundle replaces it; the same message again changes nothing.
    assert publish(fleet, broker, SECOND) == 0
    assert receive(monkeypatch, fleet, broker, "dev-b") == 0
    assert in_use(load_settings()) == "second-frolunda-2026-11-25"
    assert receive(monkeypatch, fleet, broker, "dev-b") == 0
    assert "already" in capsys.readouterr().out


def test_a_device_removed_from_the_fleet_gets_no_bundle(
    fleet: Path, broker: Broker, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    listing = fleet / "dashboard" / "fleet.toml"
    listing.write_text(listing.read_text().replace('dev-c = "team-1"\n', ""))
    assert publish(fleet, broker, EXAMPLE) == 0
    assert "to 2 of 2 devices" in capsys.readouterr().out
    assert receive(monkeypatch, fleet, broker, "dev-c") == 0
    assert in_use(load_settings()) is None
    assert main(["provision", "data", "status"]) == 0  # no broker message: no entry
    assert "last from the broker" not in capsys.readouterr().out


def test_the_running_device_imports_what_arrives(
    fleet: Path, broker: Broker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The long-running process (`run`, `ask --jsonl`) takes care data on its statistics
    connection: the broker binds the client id to the account, so there is only one."""
    from device.commands.telemetry import telemetry_service

    settings = use_device(monkeypatch, fleet, broker, "dev-a")
    service = telemetry_service(settings)
    assert service is not None
    try:
        time.sleep(0.5)  # connected and subscribed
        assert publish(fleet, broker, EXAMPLE) == 0
        published = time.monotonic()
        while in_use(settings) is None and time.monotonic() - published < 20:
            time.sleep(0.05)
        assert in_use(settings) == "example-majorna-2026-11-24"
        print(f"published → imported by the running device: {time.monotonic() - published:.2f} s")
    finally:
        service.stop()


def test_a_device_reads_only_its_own_care_topic(fleet: Path, broker: Broker) -> None:
    assert publish(fleet, broker, EXAMPLE) == 0

    def link_as(who: str, secrets: Path) -> MqttLink:
        config = BrokerConfig.from_settings(
            load_settings().telemetry.model_copy(
                update={
                    "broker_url": broker.url,
                    "ca_file": broker.ca_file,
                    "secrets_file": secrets,
                }
            )
        )
        link = MqttLink(config, who, None)
        link.connect()
        return link

    def read(who: str, secrets: Path, topic: str) -> list[str]:
        link = link_as(who, secrets)
        link.subscribe(topic)
        deadline = time.monotonic() + 1.5
        got: list[str] = []
        while time.monotonic() < deadline:
            link.poll(0.05)
            got += [t for t, _ in link.received()]
        link.close()
        return got

    a = fleet / "devices/dev-a/secrets.toml"
    care = f"hemassist/care/v1/{ORG}"
    assert read("dev-a", a, f"{care}/dev-a") == [f"{care}/dev-a"]
    assert read("dev-a", a, f"{care}/dev-b") == []
    assert read("dev-a", a, f"{care}/#") == [f"{care}/dev-a"]
    assert read("dashboard", fleet / "dashboard/secrets.toml", f"{care}/#") == []
    # Nobody but the publishing account writes a care topic, not even the device itself.
    link = link_as("dev-a", a)
    mid = link.publish(f"{care}/dev-a", b"x", retain=True)
    deadline = time.monotonic() + 5
    while mid not in link.refused and time.monotonic() < deadline:
        assert mid not in link.poll(0.05)
    assert mid in link.refused
    link.close()
    publisher = link_as("care-publisher", fleet / "publisher/secrets.toml")
    mid = publisher.publish(f"hemassist/v1/{ORG}/dev-a/stats", b"{}")
    deadline = time.monotonic() + 5
    while mid not in publisher.refused and time.monotonic() < deadline:
        publisher.poll(0.05)
    assert mid in publisher.refused
    publisher.close()


# -- refusing ----------------------------------------------------------------------------------


def _other_signature(message: bytes) -> bytes:
    stranger = sealed.Ed25519PrivateKey.generate()
    return message[:-64] + stranger.sign(message[:-64])


HOSTILE: dict[str, Callable[[Path], bytes]] = {
    "tampered": lambda f: _flip(sealed_for(f, "dev-a", SECOND), -100),
    "unsigned": lambda f: sealed_for(f, "dev-a", SECOND)[:-64],
    "zero signature": lambda f: sealed_for(f, "dev-a", SECOND)[:-64] + bytes(64),
    "signed by another key": lambda f: _other_signature(sealed_for(f, "dev-a", SECOND)),
    "for another device": lambda f: sealed_for(f, "dev-b", SECOND),
    "sealed to another key": lambda f: sealed_for(f, "dev-a", SECOND, key_of="dev-b"),
    "older (replayed)": lambda f: sealed_for(f, "dev-a", EXAMPLE),
    "not a message": lambda f: b'{"resourceType": "Bundle"}',
}
REASONS = {
    "tampered": "not signed by the municipality's publishing key",
    "unsigned": "not signed by the municipality's publishing key",
    "zero signature": "not signed by the municipality's publishing key",
    "signed by another key": "not signed by the municipality's publishing key",
    "for another device": "addressed to another device",
    "sealed to another key": "sealed to another key",
    "older (replayed)": "older than the care data in use",
    "not a message": "not a sealed care-data message",
}


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_messages_are_refused_and_the_data_in_use_stays(
    kind: str,
    fleet: Path,
    broker: Broker,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # dev-a has today's data (the second bundle, by publishing) …
    assert publish(fleet, broker, SECOND) == 0
    assert receive(monkeypatch, fleet, broker, "dev-a") == 0
    settings = load_settings()
    before = in_use(settings)
    # … then something else sits on its topic.
    inject(fleet, broker, "dev-a", HOSTILE[kind](fleet))
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="hemassist.delivery"):
        assert main(["provision", "data", "receive", "--once"]) == 1
    assert in_use(settings) == before == "second-frolunda-2026-11-25"
    lines = [r.getMessage() for r in caplog.records if r.name == "hemassist.delivery"]
    assert any(REASONS[kind] in line and "stays" in line for line in lines), lines
    assert not any("Greta" in line for line in lines)
    status = json.loads((settings.data_dir / "delivery.json").read_text())
    assert status["result"] == "refused"


def test_oversized_messages_and_bundles_are_refused(
    fleet: Path, broker: Broker, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    assert publish(fleet, broker, EXAMPLE) == 0
    use_device(monkeypatch, fleet, broker, "dev-a", DELIVERY__MAX_MESSAGE_MB="0.002")
    with caplog.at_level(logging.INFO, logger="hemassist.delivery"):
        assert main(["provision", "data", "receive", "--once"]) == 1
        use_device(
            monkeypatch,
            fleet,
            broker,
            "dev-a",
            STORE__MAX_BUNDLE_MB="0.01",
            DELIVERY__MAX_MESSAGE_MB="4",
        )
        assert main(["provision", "data", "receive", "--once"]) == 1
    text = caplog.text
    assert "larger than delivery.max_message_mb" in text
    assert "larger than store.max_bundle_mb" in text
    assert in_use(load_settings()) is None
    # The broker's message_size_limit (4 MiB) lets a message just under it through: it arrives
    # (and, not being signed, is refused by the device).
    inject(fleet, broker, "dev-a", os.urandom(4_100_000))
    use_device(monkeypatch, fleet, broker, "dev-a", DELIVERY__MAX_MESSAGE_MB="4.2")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="hemassist.delivery"):
        assert main(["provision", "data", "receive", "--once"]) == 1
    assert "not a sealed care-data message" in caplog.text


def test_the_health_message_says_when_the_data_in_use_was_exported(
    fleet: Path, broker: Broker, monkeypatch: pytest.MonkeyPatch
) -> None:
    from device.commands.delivery import care_exported
    from device.telemetry.schema import HealthMessage

    settings = use_device(monkeypatch, fleet, broker, "dev-a")
    assert care_exported(settings) is None
    assert publish(fleet, broker, EXAMPLE) == 0
    assert main(["provision", "data", "receive", "--once"]) == 0
    exported = care_exported(settings)
    assert exported == datetime.fromisoformat("2026-11-23T18:00:00+01:00")
    fields = {"device_id": "dev-a", "org": ORG, "seq": 1, "sent_at": datetime.now(UTC)}
    figures = dict.fromkeys(["uptime_s", "mem_used_mb", "mem_total_mb", "disk_free_mb"], 1)
    figures |= {"outbox_backlog": 0, "outbox_dropped": 0}
    message = HealthMessage(**fields, **figures, app_version="1.0.0", care_exported=exported)
    assert HealthMessage.model_validate_json(message.model_dump_json()).care_exported == exported


def test_the_publisher_refuses_an_invalid_or_stale_bundle(
    fleet: Path, broker: Broker, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    data = json.loads(EXAMPLE.read_text())
    data["entry"][1]["resource"]["status"] = "bokad"
    bad.write_text(json.dumps(data))
    assert publish(fleet, broker, bad) == 1
    stale = tmp_path / "stale.json"
    data = json.loads(EXAMPLE.read_text())
    data["timestamp"] = (datetime.now(UTC) - timedelta(days=4000)).isoformat()
    stale.write_text(json.dumps(data))
    assert publish(fleet, broker, stale) == 1
    assert publish(fleet, broker, EXAMPLE, team="no-such-team") == 1
    err = capsys.readouterr().err
    assert err.count("nothing published") == 3
    assert "field 'status'" in err and "more than 3650 days ago" in err and "bokad" not in err


# -- the boundary, by property -----------------------------------------------------------------


def test_no_payload_escapes_the_receiver_or_changes_the_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    device_key = sealed.X25519PrivateKey.generate()
    publisher = sealed.Ed25519PrivateKey.generate()
    sealed.write_private(tmp_path / "care.key", device_key)
    for name, value in {
        "DEVICE__ID": "dev-a",
        "DEVICE__ORG": ORG,
        "DELIVERY__PUBLISHER_KEY": sealed.public_text(publisher),
        "DELIVERY__KEY_FILE": str(tmp_path / "care.key"),
    }.items():
        monkeypatch.setenv(f"HEMASSIST_{name}", value)
    settings = load_settings()
    store = CareStore(settings.data_dir, settings.store.retention_days)
    from device.care.fhir_import import read_bundle

    store.replace(read_bundle(EXAMPLE, 10**7), MORNING)
    store.close()
    receiver = CareReceiver(settings)
    later = datetime(2026, 11, 25, 18, tzinfo=UTC)

    def seal(body: bytes, exported: datetime = later, to: str = "dev-a") -> bytes:
        return sealed.seal(
            body,
            org=ORG,
            device_id=to,
            recipient=device_key.public_key(),
            exported=exported,
            published=later,
            signer=publisher,
        )

    second_exported = datetime.fromisoformat(json.loads(SECOND.read_bytes())["timestamp"])
    good = seal(SECOND.read_bytes(), second_exported)

    def resigned_header(field: str, value: Any) -> bytes:
        """A header changed and signed again with the real key: only the header check stands."""
        head_len = int.from_bytes(good[8:10], "big")
        header = json.loads(good[10 : 10 + head_len])
        header[field] = value
        head = json.dumps(header).encode()
        body = good[:8] + len(head).to_bytes(2, "big") + head + good[10 + head_len : -64]
        return body + publisher.sign(body)

    junk = st.one_of(
        st.none(), st.booleans(), st.integers(), st.text(max_size=50), st.lists(st.integers())
    )
    fields = st.sampled_from(sorted(sealed.Header.model_fields))
    payloads = st.one_of(
        st.binary(max_size=3000),
        st.integers(0, len(good) - 1).map(lambda n: good[:n]),
        st.tuples(st.integers(0, len(good) - 1), st.integers(1, 255)).map(
            lambda p: good[: p[0]] + bytes([good[p[0]] ^ p[1]]) + good[p[0] + 1 :]
        ),
        st.tuples(fields, junk).map(lambda p: resigned_header(*p)),
        st.binary(min_size=1, max_size=500).map(seal),  # sealed and signed for real, junk inside
        st.recursive(st.integers(), lambda c: st.lists(c, max_size=3), max_leaves=200).map(
            lambda v: seal(json.dumps(v).encode())
        ),
        st.just(seal(b"[" * 5000 + b"]" * 5000)),
        st.just(seal(SECOND.read_bytes(), to="dev-b")),
    )

    @hypothesis_settings(
        max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    @given(payload=payloads)
    def never_escapes(payload: bytes) -> None:
        assert receiver.handle(payload) is not Result.IMPORTED
        assert in_use(settings) == "example-majorna-2026-11-24"

    never_escapes()
    # And the real thing still goes through the same door.
    assert receiver.handle(good) is Result.IMPORTED
    assert in_use(settings) == "second-frolunda-2026-11-25"


def test_keys_and_header_are_strict() -> None:
    with pytest.raises(ValueError):
        sealed.publisher_public("A" * 43)
    with pytest.raises(ValueError):
        sealed.publisher_public(base64.b64encode(b"x" * 31).decode() + "=")
    header = {
        "kind": "hemassist-care-bundle",
        "version": True,  # JSON true is not the version 1
        "org": ORG,
        "to": "dev-a",
        "key_id": "0" * 16,
        "exported": "2026-11-24T18:00:00+01:00",
        "published": "2026-11-24T18:00:00+01:00",
        "ephemeral": "A" * 43 + "=",
        "nonce": "A" * 16,
        "size": 10,
    }
    with pytest.raises(ValueError):
        sealed.Header.model_validate_json(json.dumps(header))
    header["version"] = 1
    assert sealed.Header.model_validate_json(json.dumps(header)).size == 10
    header["exported"] = "2026-11-24T18:00:00"  # no UTC offset: ambiguous
    with pytest.raises(ValueError):
        sealed.Header.model_validate_json(json.dumps(header))
