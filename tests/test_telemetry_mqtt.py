"""Statistics over MQTT against a real Mosquitto (TLS, passwords, ACL): nothing is lost across
broker outages, restarts and a killed device process; bad credentials are clear errors."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bench.synth import fill_outbox
from device.cli import main
from device.settings import load_settings
from device.telemetry.mqtt import BrokerConfig, MqttLink
from device.telemetry.outbox import Identity, Outbox
from device.telemetry.schema import HealthMessage, StatsMessage, StatusMessage
from device.telemetry.sync import Syncer
from tests.broker import Listener, make_broker
from tests.conftest import EXAMPLE

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _outbox() -> Outbox:
    settings = load_settings()
    return Outbox(settings.data_dir, Identity("dev-1", "goteborg", "majorna-2"))


def fill(box: Outbox, n: int) -> None:
    fill_outbox(box, n)  # the outbox of a device that was offline a long time


def seqs(payloads: list[bytes]) -> list[int]:
    return [json.loads(p)["seq"] for p in payloads]


def _syncer(box: Outbox, **kwargs: Any) -> Syncer:
    settings = load_settings()
    return Syncer(box, BrokerConfig.from_settings(settings.telemetry), **kwargs)


def test_sync_sends_the_recorded_statistics(
    device_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    listener = Listener(device_env)
    assert main(["import-fhir", str(EXAMPLE)]) == 0
    for question in [
        "Vem är mitt nästa besök?",
        "Vad är portkoden till Anna?",
        "Vilka mediciner tar Greta?",
        "Hur blir vädret?",
    ]:
        assert main(["ask", "--text", question]) == 0
    assert main(["sync", "--flush"]) == 0
    assert "Sent 2 statistics messages" in capsys.readouterr().out
    payloads = listener.wait_for(2)
    stats = [StatsMessage.model_validate_json(p) for p in payloads if b'"stats"' in p]
    health = [HealthMessage.model_validate_json(p) for p in payloads if b'"health"' in p]
    assert len(stats) == 1 and len(health) == 1
    counted = {(t.intent.value, t.outcome.value): t.count for t in stats[0].turns}
    assert counted == {
        ("next_visit", "answered"): 1,
        ("access", "gated"): 1,
        ("medication", "must_verify"): 1,
        ("unknown", "unknown"): 1,
    }
    assert health[0].mem_total_mb > 0 and health[0].outbox_dropped == 0
    # The retained status says offline after a clean goodbye.
    statuses = listener.wait_for(2, suffix="/status")
    assert StatusMessage.model_validate_json(statuses[-1]).online is False
    listener.close()
    assert main(["stats", "--json"]) == 0
    state = json.loads(capsys.readouterr().out)
    assert state["outbox"]["queued"] == 0 and state["outbox"]["sent_kept"] == 2
    assert sum(row["count"] for row in state["turns"]) == 4


def test_broker_down_then_up(device_env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    listener = Listener(device_env)
    box = _outbox()
    fill(box, 50)
    device_env.stop()
    assert main(["sync", "--timeout", "2"]) == 1
    err = capsys.readouterr().err
    assert "can't reach the broker" in err and "stay queued" in err
    assert box.state().queued == 51  # the 50 and a health message
    device_env.start()
    assert main(["sync"]) == 0  # queues one more health message
    got = listener.wait_for(52)
    assert sorted(set(seqs(got))) == list(range(1, 53))
    listener.close()


def test_broker_restarted_in_the_middle_of_a_drain(device_env: Any) -> None:
    listener = Listener(device_env)
    box = _outbox()
    fill(box, 3000)
    syncer = _syncer(box, max_inflight=20, backoff_max_s=0.5)
    result: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: result.setdefault("sent", syncer.sync(60)))
    thread.start()
    assert len(listener.wait_for(300, timeout=30)) >= 300
    device_env.restart(pause=0.5)
    thread.join(90)
    assert "sent" in result  # sync finished instead of giving up
    got = seqs(listener.wait_for_distinct(3000, timeout=30))
    assert sorted(set(got)) == list(range(1, 3001))  # duplicates allowed, nothing missing
    assert box.state().queued == 0
    listener.close()


@pytest.mark.slow
def test_device_killed_in_the_middle_of_publishing(device_env: Any) -> None:
    listener = Listener(device_env)
    box = _outbox()
    fill(box, 5000)
    env = {k: v for k, v in os.environ.items()}
    proc = subprocess.Popen(
        [sys.executable, "-m", "device.cli", "sync"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    assert len(listener.wait_for(500, timeout=60)) >= 500
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    queued_after_kill = box.state().queued
    assert 0 < queued_after_kill < 5001
    # The broker published the Last Will: the device is offline.
    time.sleep(0.5)
    statuses = listener.payloads("/status")
    assert StatusMessage.model_validate_json(statuses[-1]).online is False
    assert main(["sync"]) == 0  # the killed sync queued a health message, this one another
    got = seqs(listener.wait_for_distinct(5002, timeout=60))
    assert sorted(set(got)) == list(range(1, 5003))
    assert box.state().queued == 0
    listener.close()


@pytest.mark.slow
def test_a_backlog_of_ten_thousand_drains_on_one_connection_in_bounded_memory(
    device_env: Any,
) -> None:
    listener = Listener(device_env)
    box = _outbox()
    fill(box, 10_000)
    connects = []

    def counting_link(*args: Any) -> MqttLink:
        connects.append(1)
        return MqttLink(*args)

    syncer = _syncer(box, max_inflight=50, link_factory=counting_link)
    tracemalloc.start()
    started = time.perf_counter()
    sent = syncer.sync(120)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert sent == 10_000
    assert len(connects) == 1
    assert peak < 20 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
    assert sorted(set(seqs(listener.wait_for_distinct(10_000, timeout=60)))) == list(
        range(1, 10_001)
    )
    print(f"drained 10,000 in {elapsed:.1f} s")
    listener.close()


@pytest.mark.parametrize(
    ("setting", "value", "mention"),
    [
        ("TELEMETRY__PASSWORD", "wrong", "refused the connection"),
        ("TELEMETRY__USERNAME", "dev-2", "refused the connection"),
        ("TELEMETRY__BROKER_URL", "mqtts://127.0.0.1:1", "can't reach the broker"),
        ("TELEMETRY__BROKER_URL", "http://127.0.0.1", "must look like mqtts://"),
        ("TELEMETRY__CA_FILE", "/nonexistent/ca.pem", "does not exist"),
    ],
)
def test_bad_settings_are_clear_and_keep_the_data(
    device_env: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    setting: str,
    value: str,
    mention: str,
) -> None:
    box = _outbox()
    fill(box, 5)
    monkeypatch.setenv(f"HEMASSIST_{setting}", value)
    assert main(["sync", "--timeout", "2"]) == 1
    err = capsys.readouterr().err
    assert mention in err
    assert "pw-dev-1" not in err and "wrong" not in err.replace("wrong CA", "")
    assert box.state().queued >= 5


def test_a_broker_with_another_ca_is_refused(
    device_env: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    impostor = make_broker(tmp_path / "impostor")
    impostor.start()
    try:
        monkeypatch.setenv("HEMASSIST_TELEMETRY__BROKER_URL", impostor.url)
        box = _outbox()
        fill(box, 3)
        assert main(["sync", "--timeout", "2"]) == 1
        assert "not trusted" in capsys.readouterr().err
        assert box.state().queued == 4
    finally:
        impostor.stop()


def test_secrets_file_must_be_private(
    device_env: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('username = "dev-1"\npassword = "pw-dev-1"\n')
    secrets.chmod(0o644)
    monkeypatch.setenv("HEMASSIST_TELEMETRY__PASSWORD", "")
    monkeypatch.setenv("HEMASSIST_TELEMETRY__SECRETS_FILE", str(secrets))
    _outbox()
    assert main(["sync"]) == 1
    assert "chmod 600" in capsys.readouterr().err
    secrets.chmod(0o600)
    assert main(["sync"]) == 0


def _care_words() -> set[str]:
    """Names, addresses, codes, phone numbers and free text of the example bundle."""
    bundle = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    words: set[str] = set()

    def walk(value: Any, key: str = "") -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif isinstance(value, str) and key not in (
            "resourceType",
            "status",
            "intent",
            "use",
            "system",
            "url",
            "fullUrl",
            "reference",
        ):
            words.add(value)
            words.update(w for w in re.findall(r"\w+", value) if len(w) >= 4)

    walk(bundle)
    return words


def test_no_personal_data_in_any_payload(device_env: Any) -> None:
    from tests.test_answers_example import CASES

    listener = Listener(device_env)
    assert main(["import-fhir", str(EXAMPLE)]) == 0
    questions = [c.question for c in CASES]
    lines = "".join(
        json.dumps({"text": q, "now": c.now.isoformat(), "confirmed": c.confirmed}) + "\n"
        for q, c in zip(questions, CASES, strict=True)
    )
    import io

    stdin, sys.stdin = sys.stdin, io.StringIO(lines)
    try:
        assert main(["ask", "--jsonl"]) == 0
    finally:
        sys.stdin = stdin
    assert main(["sync", "--flush"]) == 0
    listener.wait_for(2)
    time.sleep(0.3)
    everything = b"\n".join(p for _, p, _ in listener.messages).decode()
    stats = [StatsMessage.model_validate_json(p) for p in listener.payloads() if b'"stats"' in p]
    assert sum(t.count for s in stats for t in s.turns) == len(CASES)
    schema_words = {
        "answered",
        "gated",
        "unknown",
        "template",
        "escalated",
        "address",
        "notes",
        "flags",
        "medication",
        "access",
        "schedule",
        "help",
        "routine",
        "total",
        "answer",
        "recognize",
        "stats",
        "health",
        "status",
        "online",
        "count",
        "language",
        "intent",
        "outcome",
        "engine",
        "text",
        "latency",
        "turns",
        "team",
    }
    question_words = {w for q in questions for w in re.findall(r"\w+", q) if len(w) >= 4}
    # The export time of the care data in use is in health messages on purpose (a time).
    exported = json.loads(EXAMPLE.read_text())["timestamp"]
    assert f'"care_exported":"{exported}"' in everything
    for word in (_care_words() | question_words) - schema_words - {exported}:
        assert not re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", everything, re.I), word
    for digits in ["4512", "1990", "7733", "070-123", "031-365", "123 45 67"]:
        assert digits not in everything
    listener.close()


def test_background_service_keeps_sending_across_a_broker_restart(device_env: Any) -> None:
    from device.telemetry.events import TurnEvent
    from device.telemetry.sync import TelemetryService

    listener = Listener(device_env)
    settings = load_settings()
    box = _outbox()
    service = TelemetryService(
        box,
        BrokerConfig.from_settings(settings.telemetry),
        settings.data_dir,
        health_interval_s=3600,
        backoff_max_s=0.5,
    )
    service.start()
    assert listener.wait_for(1, timeout=10)  # the first health message
    fill(box, 200)
    assert len(listener.wait_for(150, timeout=20)) >= 150
    device_env.restart(pause=0.5)
    fill(box, 200)
    box.record(
        TurnEvent.of("help", "sv", "template", "answered", {"total": 1.0}), datetime.now(UTC)
    )
    assert len(set(seqs(listener.wait_for_distinct(401, timeout=30)))) >= 401
    service.stop()  # seals the open hour and sends it before saying goodbye
    got = seqs(listener.wait_for_distinct(402, timeout=10))
    assert sorted(set(got)) == list(range(1, 403))
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        statuses = [StatusMessage.model_validate_json(p) for p in listener.payloads("/status")]
        if not statuses[-1].online:
            break
        time.sleep(0.05)
    assert statuses[0].online and not statuses[-1].online
    listener.close()


def test_jsonl_device_process_sends_its_statistics_on_the_way(
    device_env: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    listener = Listener(device_env)
    assert main(["import-fhir", str(EXAMPLE)]) == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"text": "Vem är sjuksköterskan?"}\n' * 3))
    assert main(["ask", "--jsonl"]) == 0
    payloads = listener.wait_for(2, timeout=10)
    stats = [StatsMessage.model_validate_json(p) for p in payloads if b'"stats"' in p]
    assert [(t.intent.value, t.outcome.value, t.count) for t in stats[0].turns] == [
        ("escalation", "escalated", 3)
    ]
    listener.close()
