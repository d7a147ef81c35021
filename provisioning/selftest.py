"""The self-test IT runs on a provisioned device: each check passes or fails with a short reason.

Nothing personal is printed: counts and ids of the setup, never care data or transcripts.
"""

from __future__ import annotations

import stat
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from device.settings import Settings

TEST_PHRASES = {"sv": "Vem är mitt nästa besök?", "en": "Who is my next visit?"}


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def from_fleet(settings: Settings) -> bool:
    """Provisioned from a fleet folder (`provision fleet`), not by `provision init` on the device:
    the advice differs (a fleet device is never told to run init)."""
    return bool(settings.delivery.publisher_key)


def _get_care_data(settings: Settings) -> str:
    if from_fleet(settings):
        return (
            "IT publishes it with `hemassist provision data publish`; take it now with "
            "`hemassist provision data receive --once`"
        )
    return "import it: `hemassist provision data import bundle.json`"


def _key(settings: Settings) -> Check:
    from device.care.store import KEY_NAME

    key = settings.data_dir / KEY_NAME
    if not key.is_file():
        advice = (
            f"it is made when the first care data arrives ({_get_care_data(settings)})"
            if from_fleet(settings)
            else "run `hemassist provision init`"
        )
        return Check("data key", False, f"{key} is missing: {advice}")
    for path in (key, settings.delivery.key_file if from_fleet(settings) else None):
        if path is None:
            continue
        if not path.is_file():
            return Check(
                "data key",
                False,
                f"{path} (delivery.key_file) is missing: copy care.key from "
                "the device's folder in the fleet folder",
            )
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode != 0o600:
            return Check("data key", False, f"{path} has mode {mode:04o}: run chmod 600 {path}")
    return Check("data key", True, f"{key}, mode 0600")


def _care(settings: Settings) -> Check:
    from device.care.store import KEY_NAME, CareStore

    if not (settings.data_dir / KEY_NAME).is_file():  # opening the store would make a key
        return Check("care data", False, f"no care data yet: {_get_care_data(settings)}")
    status = CareStore(settings.data_dir, settings.store.retention_days).status()
    if status is None:
        return Check("care data", False, f"no care data yet: {_get_care_data(settings)}")
    return Check(
        "care data", True, f"bundle {status.bundle_id}, {sum(status.counts.values())} records"
    )


def _models(settings: Settings) -> Check:
    """Which speech-to-text, voice and LLM models are in use; which configured ones are missing."""
    from device.models.choice import model_choices

    choices = model_choices(settings)
    parts = [f"{c.part}: {c.used or 'none'}" for c in choices]
    missing = [c.note for c in choices if c.note]
    # What the device needs: the configured speech-to-text model (not a fallback), the voice
    # of its language and the LLM when it is on. The other language's voice may fall back.
    needed = {"speech-to-text", f"voice-{settings.language}", "llm", "manifest"}
    lacking = [
        c.configured or c.part
        for c in choices
        if c.part in needed and c.note and (c.part != "llm" or settings.llm.enabled)
    ]
    detail = "; ".join(parts) + (f" (missing: {'; '.join(missing)})" if missing else "")
    if lacking:
        detail += (
            f". Not installed: {', '.join(lacking)}: run `hemassist provision models install "
            f"{' '.join(lacking)}` (add --from DIR without internet)"
        )
    return Check("models", not lacking, detail)


def _speech(settings: Settings) -> Check:
    """The configured engine and voice load, and a test phrase survives speech → text."""
    from device.assistant import Assistant
    from device.nlu.recognizer import load_templates
    from device.settings import CONFIG_DIR
    from device.speech.audio import join
    from device.speech.factory import make_stt, make_voices

    lang = settings.language
    stt = make_stt(settings)
    voice = make_voices(settings, variation=False).for_language(lang)  # the same audio every run
    phrase = TEST_PHRASES[lang]
    heard = stt.transcribe(join(list(voice.speak(phrase)))).text
    assistant = Assistant(settings, load_templates(CONFIG_DIR / "sentences"), None)
    if not assistant.understands(heard):
        return Check(
            "speech round trip",
            False,
            f"{voice.name} → {stt.name}: the test phrase came back as {heard!r}",
        )
    return Check("speech round trip", True, f"{voice.name} → {stt.name}: {heard!r}")


def _broker(settings: Settings) -> Check:
    from device.telemetry.mqtt import BrokerConfig, MqttLink, client_id_for

    if not settings.telemetry.broker_url:
        return Check("broker", False, "telemetry.broker_url is not set")
    config = BrokerConfig.from_settings(settings.telemetry)
    if not config.tls:
        return Check("broker", False, "the broker URL is not mqtts:// (no TLS)")
    from device.telemetry.schema import StatusMessage, status_topic

    topic = status_topic(settings.device.org, settings.device.id)
    link = MqttLink(config, client_id_for(settings.device.id) + "-selftest", None)
    link.connect()
    try:
        # Logging in is not enough: the ACL may refuse every message. Publish with QoS 1 and
        # read the broker's PUBACK reason code. The status topic, because the dashboard takes
        # it (any other topic it would count as rejected); "offline" is true while the service
        # is stopped, and a running service says "online" again when it reconnects.
        offline = StatusMessage(
            device_id=settings.device.id, online=False, changed_at=datetime.now(UTC)
        )
        mid = link.publish(topic, offline.model_dump_json().encode(), retain=True)
        deadline = time.monotonic() + config.connect_timeout_s
        while time.monotonic() < deadline:
            if mid in link.poll(0.05):
                return Check(
                    "broker", True, f"{config.host}:{config.port} over TLS, logged in, may publish"
                )
            denied = link.denied()
            if denied is not None:
                return Check("broker", False, str(denied))
        return Check(
            "broker",
            False,
            f"logged in, but a test message to {topic} was not acknowledged in time",
        )
    finally:
        link.close()


def _clock(settings: Settings) -> Check:
    now = datetime.now(UTC)
    if not 2025 <= now.year < 2100:
        return Check("clock", False, f"the clock says {now:%Y-%m-%d}: set the time (NTP)")
    return Check("clock", True, f"{now:%Y-%m-%d %H:%M} UTC")


def _settings(settings: Settings) -> Check:
    ok = bool(settings.device.id and settings.device.org)
    detail = (
        f"device {settings.device.id} of {settings.device.org}, team {settings.device.team or '-'}"
        if ok
        else "device.id and device.org are not set"
    )
    return Check("settings", ok, detail)


CHECKS: list[tuple[str, Callable[[Settings], Check]]] = [
    ("settings", _settings),
    ("data key", _key),
    ("care data", _care),
    ("models", _models),
    ("speech round trip", _speech),
    ("broker", _broker),
    ("clock", _clock),
]


def run_checks(settings: Settings) -> list[Check]:
    results = []
    for name, check in CHECKS:
        try:
            results.append(check(settings))
        except Exception as exc:  # a failing check is a result, not a crash
            reason = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
            results.append(Check(name, False, reason))
    return results
