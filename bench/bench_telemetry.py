"""Statistics costs: recording one turn in the durable outbox, and draining a 10,000 backlog to a
private Mosquitto over TLS.

    .venv/bin/python -m bench.bench_telemetry

Targets (issue "Anonymous usage statistics"): recording a turn <= 2 ms p95.
"""

from __future__ import annotations

import platform
import resource
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path

from bench.bench_templates import percentile
from bench.synth import fill_outbox
from device.telemetry.events import TurnEvent
from device.telemetry.mqtt import BrokerConfig
from device.telemetry.outbox import Identity, Outbox
from device.telemetry.sync import Syncer
from provisioning.localbroker import ORG, PASSWORDS, make_broker

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def bench_record(data_dir: Path, n: int = 2000) -> list[float]:
    box = Outbox(data_dir, Identity("dev-1", ORG))
    event = TurnEvent.of(
        "next_visit", "sv", "template", "answered", {"recognize": 0.4, "answer": 0.2, "total": 0.8}
    )
    samples = []
    for i in range(n):
        started = time.perf_counter()
        box.record(event, T0 + timedelta(seconds=i))
        samples.append((time.perf_counter() - started) * 1000)
    box.close()
    return samples


def bench_drain(data_dir: Path, n: int = 10_000) -> tuple[float, int]:
    broker = make_broker(data_dir / "broker")
    broker.start()
    try:
        box = Outbox(data_dir, Identity("dev-1", ORG))
        fill_outbox(box, n)
        config = BrokerConfig(
            host="127.0.0.1",
            port=broker.port,
            tls=True,
            ca_file=broker.ca_file,
            username="dev-1",
            password=PASSWORDS["dev-1"],
        )
        started = time.perf_counter()
        sent = Syncer(box, config, max_inflight=50).sync(300)
        return time.perf_counter() - started, sent
    finally:
        broker.stop()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        record = bench_record(Path(tmp) / "rec")
        seconds, sent = bench_drain(Path(tmp) / "drain")
    print(
        f"hemassist statistics benchmark — {platform.machine()}, Python "
        f"{platform.python_version()}, paho-mqtt {version('paho-mqtt')}, SQLite "
        f"{__import__('sqlite3').sqlite_version}"
    )
    print(
        f"record one turn (WAL, synchronous=FULL): n={len(record)} "
        f"p50 {statistics.median(record):.2f} ms, p95 {percentile(record, 0.95):.2f} ms"
    )
    print(
        f"drain {sent} messages, QoS 1, TLS, 50 in flight: {seconds:.1f} s "
        f"= {sent / seconds:.0f} messages/s"
    )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
