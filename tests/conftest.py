"""Shared fixtures: an isolated data directory and settings per test, the example bundle."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from device.assistant import Assistant
from device.care.fhir_import import read_bundle
from device.care.store import CareStore
from device.nlu.recognizer import Templates, load_templates
from device.settings import CONFIG_DIR, Settings, load_settings

DATA = Path(__file__).parent / "data"
EXAMPLE = DATA / "example-bundle.json"
MODELS = Path(__file__).parent.parent / ".models"
TZ = ZoneInfo("Europe/Stockholm")
# The example bundle's day, early morning: every visit is still ahead.
MORNING = datetime(2026, 11, 24, 7, 30, tzinfo=TZ)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No HEMASSIST_* from the machine leaks in; each test has its own data directory.

    Retention is long so that the example bundle (exported 2026-11-23) is never purged by the
    wall clock; purge tests pass their own time.
    """
    for name in list(os.environ):
        if name.startswith("HEMASSIST_"):
            monkeypatch.delenv(name)
    data_dir = tmp_path / "data"
    monkeypatch.setenv("HEMASSIST_DATA_DIR", str(data_dir))
    # The test models, installed by scripts/setup.sh (`hemassist models install --use test`).
    monkeypatch.setenv("HEMASSIST_MODELS__DIR", str(MODELS))
    # IT's pins (`models pin`) go to the test's own folder, never the checkout's.
    monkeypatch.setenv("HEMASSIST_MODELS__SITE_MANIFEST", str(tmp_path / "site-manifest.toml"))
    # The LLM fallback is switched on by the tests that are about it (tests/test_llm_real.py),
    # so that every other test's "unknown" question stays unknown.
    monkeypatch.setenv("HEMASSIST_LLM__ENABLED", "false")
    # The same for questions in other words (tests/test_similar.py switches it on).
    monkeypatch.setenv("HEMASSIST_SIMILAR__ENABLED", "false")
    monkeypatch.setenv("HEMASSIST_STORE__RETENTION_DAYS", "3650")
    yield data_dir


@pytest.fixture
def settings(isolated_env: Path) -> Settings:
    return load_settings()


@pytest.fixture(scope="session")
def templates() -> Templates:
    return load_templates(CONFIG_DIR / "sentences")


@pytest.fixture
def store(settings: Settings) -> Iterator[CareStore]:
    store = CareStore(settings.data_dir, settings.store.retention_days)
    yield store
    store.close()


@pytest.fixture
def example_store(store: CareStore) -> CareStore:
    store.replace(read_bundle(EXAMPLE, 10**7), MORNING)
    return store


@pytest.fixture
def assistant(settings: Settings, templates: Templates, example_store: CareStore) -> Assistant:
    return Assistant(settings, templates, example_store)


def copy_example(to: Path) -> Path:
    target = to / "bundle.json"
    shutil.copy(EXAMPLE, target)
    return target


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Any]:
    """A real Mosquitto (TLS, passwords, ACL) on a free loopback port, stopped afterwards."""
    from tests.broker import make_broker

    running = make_broker(tmp_path / "broker")
    running.start()
    yield running
    running.stop()


@pytest.fixture
def device_env(broker: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Settings for device dev-1 of organisation goteborg, talking to the test broker."""
    from tests.broker import ORG, PASSWORDS

    for name, value in {
        "DEVICE__ID": "dev-1",
        "DEVICE__ORG": ORG,
        "DEVICE__TEAM": "majorna-2",
        "TELEMETRY__BROKER_URL": broker.url,
        "TELEMETRY__CA_FILE": str(broker.ca_file),
        "TELEMETRY__USERNAME": "dev-1",
        "TELEMETRY__PASSWORD": PASSWORDS["dev-1"],
        "TELEMETRY__BACKOFF_MAX_S": "1",
        "TELEMETRY__SYNC_TIMEOUT_S": "30",
    }.items():
        monkeypatch.setenv(f"HEMASSIST_{name}", value)
    return broker


@pytest.fixture(scope="session")
def joe() -> Any:
    """The real Piper voice en_US-joe-medium (installed by scripts/setup.sh)."""
    from device.speech.tts_piper import PiperTts

    return PiperTts(MODELS / "piper-en-joe", variation=False)  # the same audio every run


def spoken(voice: Any, text: str) -> Any:
    from device.speech.audio import join

    return join(list(voice.speak(text)))


def use_whisper(monkeypatch: pytest.MonkeyPatch, language: str) -> None:
    """The command line's speech engine: Whisper base from .models, listening for ``language``."""
    monkeypatch.setenv("HEMASSIST_SPEECH__ENGINE", "whisper")
    monkeypatch.setenv("HEMASSIST_SPEECH__WHISPER_MODEL", "whisper-base")
    monkeypatch.setenv("HEMASSIST_SPEECH__WHISPER_LANGUAGE", language)
