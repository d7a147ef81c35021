"""The demo: import the example bundle, answer example questions, and send the anonymous usage
statistics to a private Mosquitto (TLS, passwords, ACL), showing exactly what the broker got.

Run through scripts/demo.sh, which sets everything up first.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from device.cli import main as hemassist  # noqa: E402
from provisioning.localbroker import ORG, PASSWORDS, make_broker  # noqa: E402


def watch(port: int, ca_file: Path) -> tuple[mqtt.Client, list[tuple[str, bytes]]]:
    """Subscribe as the dashboard would, and collect what arrives."""
    received: list[tuple[str, bytes]] = []
    ready = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="demo-watch", protocol=mqtt.MQTTv5)
    client.tls_set(ca_certs=str(ca_file))
    client.username_pw_set("dashboard", PASSWORDS["dashboard"])
    client.on_connect = lambda c, u, f, rc, p: c.subscribe(f"hemassist/v1/{ORG}/#", qos=1)
    client.on_subscribe = lambda c, u, mid, rcs, p: ready.set()
    client.on_message = lambda c, u, msg: received.append((msg.topic, bytes(msg.payload)))
    client.connect("127.0.0.1", port)
    client.loop_start()
    ready.wait(10)
    return client, received


SPOKEN = [
    "Who is my next visit?",
    "What should I do at Bertil's?",
    "Does Greta have any allergies?",
]


def spoken_demo(data_dir: Path) -> int:
    """Questions spoken by the Piper voice, heard by Whisper, answered aloud into WAV files."""
    from device.speech.audio import join, write_wav
    from device.speech.tts_piper import PiperTts

    models = Path(os.environ.get("HEMASSIST_MODELS__DIR", ROOT / ".models"))
    os.environ.update(
        {
            "HEMASSIST_MODELS__DIR": str(models),
            "HEMASSIST_SPEECH__ENGINE": "whisper",
            "HEMASSIST_SPEECH__WHISPER_MODEL": "whisper-base",
            "HEMASSIST_SPEECH__WHISPER_LANGUAGE": "en",
        }
    )
    voice = PiperTts(models / "piper-en-joe")
    questions = []
    for i, text in enumerate(SPOKEN, start=1):
        path = data_dir / "spoken" / f"question-{i}.wav"
        write_wav(path, join(list(voice.speak(text))))
        questions.append(str(path))
    print("\n== Spoken questions (Piper voice → Whisper base → answer → Piper voice)")
    answers = data_dir / "spoken"
    code = hemassist(
        [
            "run",
            "--input-wav",
            *questions,
            "--output-dir",
            str(answers),
            "--now",
            "07:30",  # today: `hemassist demo` placed the example's visits on today
        ]
    )
    print(f"Questions and spoken answers to play: {answers}/question-N.wav, answer-N.wav")
    return code


def start_dashboard(data_dir: Path, broker: object) -> tuple[str, object]:
    """Collector and web page in this process, subscribed before any device sends."""
    import threading

    import waitress.server

    from dashboard.commands import app_for, collector_for, storage_for
    from dashboard.pilot import Pilot
    from dashboard.web import hash_password
    from device.settings import load_settings

    secrets = data_dir / "dashboard-secrets.toml"
    secrets.write_text(f'username = "dashboard"\npassword = "{PASSWORDS["dashboard"]}"\n')
    secrets.chmod(0o600)
    os.environ.update(
        {
            "HEMASSIST_DASHBOARD__ORG": ORG,
            "HEMASSIST_DASHBOARD__BROKER_URL": broker.url,  # type: ignore[attr-defined]
            "HEMASSIST_DASHBOARD__CA_FILE": str(broker.ca_file),  # type: ignore[attr-defined]
            "HEMASSIST_DASHBOARD__SECRETS_FILE": str(secrets),
            # The demo page is plain http:// on this machine; a real one sits behind HTTPS.
            "HEMASSIST_DASHBOARD__SECURE_COOKIES": "false",
        }
    )
    settings = load_settings()
    storage = storage_for(settings)
    storage.set_user("chef", hash_password(DEMO_PASSWORD))
    # A 12-week pilot for the demo team that began a week ago, so the pilot page has a period.
    today = datetime.now(settings.tz).date()
    storage.set_pilot(Pilot("majorna-2", today - timedelta(days=7), today + timedelta(days=76)))
    collector = collector_for(settings, storage)
    collector.start()
    collector.subscribed.wait(10)
    app = app_for(settings, storage)
    server = waitress.server.create_server(
        app, host=settings.dashboard.host, port=settings.dashboard.port, threads=4
    )
    threading.Thread(target=server.run, daemon=True).start()
    return f"http://{settings.dashboard.host}:{settings.dashboard.port}/", collector


DEMO_PASSWORD = "demo-lösenord-2026"


def run() -> int:
    data_dir = Path(os.environ.get("HEMASSIST_DATA_DIR", ROOT / ".demo-data"))
    shutil.rmtree(data_dir, ignore_errors=True)  # a fresh demo every time
    broker = make_broker(data_dir / "broker")
    broker.start()
    try:
        os.environ.update(
            {
                "HEMASSIST_DATA_DIR": str(data_dir),
                "HEMASSIST_DEVICE__ID": "dev-1",
                "HEMASSIST_DEVICE__ORG": ORG,
                "HEMASSIST_DEVICE__TEAM": "majorna-2",
                "HEMASSIST_TELEMETRY__BROKER_URL": broker.url,
                "HEMASSIST_TELEMETRY__CA_FILE": str(broker.ca_file),
                "HEMASSIST_TELEMETRY__USERNAME": "dev-1",
                "HEMASSIST_TELEMETRY__PASSWORD": PASSWORDS["dev-1"],
            }
        )
        url, collector = start_dashboard(data_dir, broker)
        watcher, received = watch(broker.port, broker.ca_file)
        code = hemassist(["demo", "--bundle", str(ROOT / "tests/data/example-bundle.json")])
        if code:
            return code
        code = spoken_demo(data_dir)
        if code:
            return code
        print("\n== Usage statistics (anonymous) sent to a private Mosquitto at", broker.url)
        code = hemassist(["sync", "--flush"])
        if code:
            return code
        watcher.loop_stop()
        watcher.disconnect()
        for topic, payload in received[:3]:
            print(f"\n{topic}\n{json.dumps(json.loads(payload), indent=1)[:1200]}")
        print(f"… {len(received)} messages in all")
        print("\n== Local view of the outbox (hemassist stats)")
        code = hemassist(["stats"])
        minutes = float(os.environ.get("HEMASSIST_DEMO_SERVE_MINUTES", "10"))
        print(f"\n== Supervisors' dashboard: {url}  (log in as chef / {DEMO_PASSWORD})")
        print(f"   the pilot view with its PDF report: {url}pilot?team=majorna-2")
        if minutes > 0:
            print(
                f"   serving for {minutes:g} minutes; Ctrl-C stops earlier; "
                "HEMASSIST_DEMO_SERVE_MINUTES=0 skips this"
            )
            with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C ends the demo
                time.sleep(minutes * 60)
        collector.stop()  # type: ignore[attr-defined]
        print("demo finished")
        return code
    finally:
        broker.stop()


if __name__ == "__main__":
    from device.lifecycle import leave

    leave(run())
