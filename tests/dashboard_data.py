"""Statistics messages as devices send them, for the dashboard tests and benchmark."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dashboard.storage import Incoming
from device.telemetry.schema import (
    LATENCY_BINS_MS,
    HealthMessage,
    LatencyHistogram,
    SignalCount,
    StatsMessage,
    StatusMessage,
    TurnCount,
)

ORG = "goteborg"


def turn(intent: str, outcome: str, count: int, path: str = "template") -> TurnCount:
    return TurnCount(
        intent=intent, language="sv", path=path, outcome=outcome, engine="vosk", count=count
    )


def stats(
    device: str,
    seq: int,
    hour: datetime,
    turns: list[TurnCount],
    team: str = "majorna-2",
    latency_bin: int = 2,
    signals: list[SignalCount] | None = None,
) -> Incoming:
    counts = [0] * (len(LATENCY_BINS_MS) + 1)
    counts[latency_bin] = sum(t.count for t in turns)
    message = StatsMessage(
        device_id=device,
        org=ORG,
        team=team,
        seq=seq,
        hour_start=hour,
        turns=turns,
        latency=[LatencyHistogram(stage="total", counts=counts)],
        signals=signals or [],
    )
    return Incoming(f"hemassist/v1/{ORG}/{device}/stats", message.model_dump_json().encode())


def signal(
    kind: str, count: int, intent: str = "next_visit", outcome: str = "answered"
) -> SignalCount:
    return SignalCount(signal=kind, intent=intent, path="template", outcome=outcome, count=count)


def health(
    device: str,
    seq: int,
    backlog: int = 3,
    team: str = "majorna-2",
    at: datetime | None = None,
    disk_free_mb: int = 20000,
    care_exported: datetime | None = None,
) -> Incoming:
    message = HealthMessage(
        device_id=device,
        org=ORG,
        team=team,
        seq=seq,
        sent_at=at or datetime.now(UTC),
        uptime_s=3600,
        cpu_temp_c=51.5,
        mem_used_mb=900,
        mem_total_mb=4096,
        disk_free_mb=disk_free_mb,
        app_version="0.1.0",
        models={"stt-vosk": "0.15"},
        outbox_backlog=backlog,
        outbox_dropped=0,
        care_exported=care_exported,
    )
    return Incoming(f"hemassist/v1/{ORG}/{device}/stats", message.model_dump_json().encode())


def status(device: str, online: bool, at: datetime | None = None) -> Incoming:
    message = StatusMessage(device_id=device, online=online, changed_at=at or datetime.now(UTC))
    return Incoming(f"hemassist/v1/{ORG}/{device}/status", message.model_dump_json().encode())


def hours(start: datetime, n: int) -> list[datetime]:
    return [start + timedelta(hours=i) for i in range(n)]
