"""End to end: a device answers questions (and hears "fel", "tack", "upprepa" and a repeated
question) and syncs its statistics through a real Mosquitto, the collector stores them, and
headless Chromium logs in to the dashboard, sets a pilot period and reads the numbers.
Screenshots of each page are saved in test-artifacts/."""

from __future__ import annotations

import io
import json
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from playwright.sync_api import sync_playwright

from dashboard.collector import Collector
from dashboard.storage import Storage
from dashboard.web import create_app, hash_password, secret_key
from device.cli import main
from device.telemetry.mqtt import BrokerConfig
from provisioning.localbroker import ORG, PASSWORDS, free_port
from tests.conftest import EXAMPLE, TZ

ARTIFACTS = Path(__file__).parent.parent / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _collector(broker: Any, storage: Storage) -> Collector:
    config = BrokerConfig(
        host="127.0.0.1",
        port=broker.port,
        tls=True,
        ca_file=broker.ca_file,
        username="dashboard",
        password=PASSWORDS["dashboard"],
    )
    collector = Collector(storage, config, ORG, client_id="test-dashboard", flush_s=0.05)
    collector.start()
    assert collector.subscribed.wait(10)
    return collector


def _wait(predicate: Any, timeout: float = 30) -> None:  # polled: a busy machine only waits longer
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not predicate():
        time.sleep(0.05)
    assert predicate()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Storage]]:
    import waitress.server

    storage = Storage(f"sqlite:///{tmp_path / 'dashboard.db'}")
    storage.set_user("chef", hash_password("ett-långt-lösenord"))
    app = create_app(
        storage,
        secret_key(tmp_path / "key"),
        small_count=5,
        today=lambda: datetime.now(TZ).date(),  # the devices count days in Stockholm
    )
    port = free_port()
    server = waitress.server.create_server(app, host="127.0.0.1", port=port, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}", storage
    server.close()
    storage.close()


def _conversation() -> str:
    """One session: a question five times, each answer called wrong; then thanks and "upprepa".
    Gives 5 "fel", 5 repeated questions (within the window) + 1 "upprepa", and 1 "tack"."""
    start = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    lines = ["Vem är mitt nästa besök?", "Det var fel"] * 5
    lines += ["Vem är mitt nästa besök?", "tack", "upprepa"]
    return "".join(
        json.dumps({"text": text, "now": (start + timedelta(seconds=10 * i)).isoformat()}) + "\n"
        for i, text in enumerate(lines)
    )


def test_device_to_dashboard_in_a_real_browser(
    device_env: Any,
    served: tuple[str, Storage],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, storage = served
    collector = _collector(device_env, storage)
    try:
        assert main(["import-fhir", str(EXAMPLE)]) == 0
        questions = (
            ["Vem är mitt nästa besök?"] * 6
            + ["Vem är sjuksköterskan?"] * 5
            + ["Hur blir vädret?"] * 2
        )
        for question in questions:
            assert main(["ask", "--text", question]) == 0
        capsys.readouterr()
        monkeypatch.setattr(sys, "stdin", io.StringIO(_conversation()))
        assert main(["ask", "--jsonl"]) == 0
        turns = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        signals = [t["signal"]["signal"] for t in turns if t["signal"]]
        assert signals.count("bad") == 5 and signals.count("good") == 1
        assert signals.count("repeat") == 6
        assert main(["sync", "--flush"]) == 0
        # The dashboard's day is Stockholm's, as the devices count it: between 23:00 and 24:00 UTC
        # the machine's own date is the day before.
        today = datetime.now(TZ).date()
        _wait(lambda: collector.stats.stored >= 2 and storage.overview(1, today).total)
        # The same messages again (a device that lost the acks resends): counted once.
        assert main(["stats", "--json"]) == 0
        capsys.readouterr()

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1200, "height": 1400})
            page.goto(url + "/")
            assert "/login" in page.url
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "dashboard-login.png"))
            page.fill("#username", "chef")
            page.fill("#password", "ett-långt-lösenord")
            page.click("#login")
            page.wait_for_selector("#total")
            # 13 questions + 6 in the conversation ("fel", "tack", "upprepa" are not questions)
            assert page.inner_text("#total") == "19"
            assert page.inner_text('[data-intent="next_visit"]') == "12"
            assert "nästa besök" in page.inner_text("#intents")  # Swedish words, not codes
            assert "next_visit" not in page.inner_text("#intents")
            assert page.inner_text('[data-outcome="escalated"]') == "5"
            assert page.inner_text('[data-outcome="unknown"]') == "<5"
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "dashboard-overview.png"), full_page=True)
            today = datetime.now(TZ).date()
            page.click("text=Pilot")
            page.wait_for_selector("#pilot-form")
            page.fill('#pilot-form input[name="team"]', "majorna-2")
            page.fill('#pilot-form input[name="start"]', (today - timedelta(days=7)).isoformat())
            page.fill('#pilot-form input[name="end"]', (today + timedelta(days=70)).isoformat())
            page.click("#pilot-form button")
            page.wait_for_selector("#pilot-summary")
            pilot = page.inner_text('#pilot-summary [data-period="pilot"]').split("\t")
            # Questions, answered, misses, clarifications, "fel", repeats, satisfaction:
            assert pilot[1:8] == ["19", "12 (63 %)", "<5", "0", "5", "6", "17 %"]
            page.screenshot(path=str(ARTIFACTS / "dashboard-pilot.png"), full_page=True)
            with page.expect_download() as download:
                page.click("#pdf")
            assert download.value.suggested_filename == "hemassist-pilot-majorna-2.pdf"
            page.click("text=Enheter")
            page.wait_for_selector('[data-device="dev-1"]')
            assert "0.1.0" in page.inner_text('[data-device="dev-1"]')
            page.screenshot(path=str(ARTIFACTS / "dashboard-devices.png"), full_page=True)
            page.click('[data-device="dev-1"] a')
            page.wait_for_selector("#history")
            today_row = page.inner_text(f'#history [data-day="{today.isoformat()}"]')
            assert "19" in today_row.split("\t")[1]  # the day's questions on this device
            page.screenshot(path=str(ARTIFACTS / "dashboard-device.png"), full_page=True)
            browser.close()
    finally:
        collector.stop()


def test_collector_counts_duplicates_once_and_keeps_bad_messages_aside(
    broker: Any, tmp_path: Path
) -> None:
    from tests.dashboard_data import stats, turn

    storage = Storage(f"sqlite:///{tmp_path / 'dashboard.db'}")
    collector = _collector(broker, storage)
    device = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="raw-dev-1", protocol=mqtt.MQTTv5)
    device.tls_set(ca_certs=str(broker.ca_file))
    device.username_pw_set("dev-1", PASSWORDS["dev-1"])
    device.connect("127.0.0.1", broker.port)
    device.loop_start()
    try:
        message = stats(
            "dev-1", 7, datetime(2026, 11, 24, 8, tzinfo=UTC), [turn("help", "answered", 9)]
        )
        for payload in (message.payload, message.payload, b"{broken", b'{"schema_version": 9}'):
            device.publish(message.topic, payload, qos=1).wait_for_publish(5)
        _wait(lambda: collector.stats.received >= 4)
        assert (collector.stats.stored, collector.stats.duplicates, collector.stats.rejected) == (
            1,
            1,
            2,
        )
        assert storage.overview(1, date(2026, 11, 24)).total == 9
        assert len(storage.rejected()) == 2
    finally:
        device.loop_stop()
        device.disconnect()
        collector.stop()
        storage.close()


def test_collector_survives_a_restart_without_losing_messages(broker: Any, tmp_path: Path) -> None:
    """Persistent session: what is published while the collector is down arrives afterwards."""
    from tests.dashboard_data import stats, turn

    storage = Storage(f"sqlite:///{tmp_path / 'dashboard.db'}")
    _collector(broker, storage).stop()  # creates the session on the broker
    device = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="raw-dev-2", protocol=mqtt.MQTTv5)
    device.tls_set(ca_certs=str(broker.ca_file))
    device.username_pw_set("dev-2", PASSWORDS["dev-2"])
    device.connect("127.0.0.1", broker.port)
    device.loop_start()
    for seq in range(1, 21):
        message = stats(
            "dev-2", seq, datetime(2026, 11, 24, 8, tzinfo=UTC), [turn("help", "answered", 1)]
        )
        device.publish(message.topic, message.payload, qos=1).wait_for_publish(5)
    device.loop_stop()
    device.disconnect()
    collector = _collector(broker, storage)
    try:
        _wait(lambda: collector.stats.stored >= 20)
        assert storage.overview(1, date(2026, 11, 24)).total == 20
    finally:
        collector.stop()
        storage.close()
