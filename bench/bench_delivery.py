"""Care data over the broker: sealed sizes of bundles of growing size, publishing a team's bundle
to 50 devices through a private Mosquitto running the fleet's configuration, and one device's
receive → import (→ the next question answers from it).

    .venv/bin/python -m bench.bench_delivery
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from bench.synth import make_bundle
from device.care import sealed
from device.commands.delivery import CareReceiver
from device.settings import load_settings
from device.telemetry.mqtt import BrokerConfig, MqttLink
from provisioning.fleet import InventoryRow, write_fleet
from provisioning.localbroker import make_broker
from provisioning.publish import broker_config, publish

DEVICES = 50


def _today(bundle: dict[str, object]) -> bytes:
    bundle["timestamp"] = datetime.now(UTC).isoformat(timespec="seconds")
    return json.dumps(bundle).encode()


def sizes() -> None:
    key, signer = sealed.X25519PrivateKey.generate(), sealed.Ed25519PrivateKey.generate()
    print("| bundle | JSON bytes | sealed bytes | ratio | seal |")
    print("|---|---|---|---|---|")
    for clients, days in ((30, 1), (30, 14), (120, 14), (120, 60)):
        raw = _today(make_bundle(clients, days))
        started = time.perf_counter()
        message = sealed.seal(
            raw, org="o", device_id="d", recipient=key.public_key(),
            exported=datetime.now(UTC), published=datetime.now(UTC), signer=signer,
        )  # fmt: skip
        took = (time.perf_counter() - started) * 1000
        print(
            f"| {clients} clients × {days} days | {len(raw):,} | {len(message):,} | "
            f"{len(raw) / len(message):.0f}:1 | {took:.0f} ms |"
        )


def fleet_run(work: Path) -> None:
    rows = [InventoryRow(i + 2, f"dev-{i:02d}", "team-1") for i in range(DEVICES)]
    fleet = work / "fleet"
    write_fleet(rows, "goteborg", "mqtts://127.0.0.1:8883", fleet)
    broker = make_broker(
        work / "broker",
        passwd=(fleet / "broker/passwd").read_text(),
        acl=(fleet / "broker/acl").read_text(),
    )
    broker.start()
    bundle = work / "team.json"
    bundle.write_bytes(_today(make_bundle(30, 14)))
    try:
        os.environ["HEMASSIST_DATA_DIR"] = str(work / "data")
        os.environ["HEMASSIST_STORE__RETENTION_DAYS"] = "3650"
        config = broker_config(fleet, broker.url, broker.ca_file)
        result = publish(load_settings(), bundle, fleet, "team-1", config, progress=False)
        print(
            f"\npublish {bundle.stat().st_size:,}-byte bundle to {DEVICES} devices: "
            f"{result.seconds:.2f} s (validate, seal {DEVICES}×, publish, all PUBACKs); "
            f"{len(result.acknowledged)} acknowledged, {max(result.bytes_each):,} bytes each"
        )
        device = fleet / "devices" / "dev-07"
        os.environ.update(
            HEMASSIST_CONFIG=str(device / "site.toml"),
            HEMASSIST_TELEMETRY__BROKER_URL=broker.url,
            HEMASSIST_TELEMETRY__CA_FILE=str(broker.ca_file),
            HEMASSIST_TELEMETRY__SECRETS_FILE=str(device / "secrets.toml"),
            HEMASSIST_DELIVERY__KEY_FILE=str(device / "care.key"),
        )
        settings = load_settings()
        receiver = CareReceiver(settings)
        started = time.perf_counter()
        link = MqttLink(BrokerConfig.from_settings(settings.telemetry), "dev-07", None)
        link.connect()
        link.subscribe(receiver.topic)
        got: list[tuple[str, bytes]] = []
        while not got:
            link.poll(0.01)
            got = link.received()
        arrived = time.perf_counter()
        result_kind = receiver.handle(got[0][1], got[0][0])
        done = time.perf_counter()
        link.close()
        print(
            f"one device: connect → message {1000 * (arrived - started):.0f} ms; verify, open, "
            f"validate and import {1000 * (done - arrived):.0f} ms ({result_kind})"
        )
    finally:
        broker.stop()


def main() -> None:
    print(
        f"{platform.machine()}, Python {platform.python_version()}, cryptography "
        f"{version('cryptography')}, paho-mqtt {version('paho-mqtt')}, "
        f"{datetime.now(UTC).date()}\n"
    )
    sizes()
    with tempfile.TemporaryDirectory() as folder:
        fleet_run(Path(folder))


if __name__ == "__main__":
    main()
