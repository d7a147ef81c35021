"""The encrypted store: nothing readable at rest, atomic replacement, purge, key handling."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bench.synth import bundle_with_resources
from device.care.crypto import DecryptError, KeyFileError
from device.care.fhir_import import parse_bundle, read_bundle
from device.care.store import CareStore, StoreError
from device.settings import Settings
from tests.conftest import EXAMPLE, MORNING, TZ


def _secrets() -> list[str]:
    """Every name, address, access code and phone number in the example bundle."""
    care = parse_bundle(EXAMPLE.read_bytes()).care
    found: list[str] = []
    for c in care.clients:
        found += [c.given, c.family, c.address or "", c.access_code or "", c.phone or ""]
        found += list(c.nicknames)
    for r in care.relatives:
        found += [r.given, r.family, r.phone or ""]
    for p in care.practitioners:
        found += [p.given, p.family, p.phone or ""]
    found += ["4512", "1990", "7733", "Linnégatan", "penicillin", "Metformin"]
    return sorted({s for s in found if s})


def _files(data_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in data_dir.iterdir() if p.is_file()}


def test_nothing_readable_in_any_file_of_the_data_directory(
    settings: Settings, example_store: CareStore
) -> None:
    # Look while the connection is open (WAL and shared memory present) and after closing.
    for stage in ("open", "closed"):
        files = _files(settings.data_dir)
        assert "care.db" in files
        for name, content in files.items():
            lowered = content.lower()
            for secret in _secrets():
                for encoded in {
                    secret.encode(),
                    secret.lower().encode(),
                    secret.encode("utf-16-le"),
                }:
                    assert encoded not in content and encoded not in lowered, (stage, name)
        example_store.close()


def test_key_file_is_private_and_required(settings: Settings, example_store: CareStore) -> None:
    key = settings.data_dir / "care.key"
    assert key.stat().st_mode & 0o777 == 0o600
    assert len(key.read_bytes()) == 32
    example_store.close()
    key.chmod(0o644)
    with pytest.raises(KeyFileError, match="chmod 600"):
        CareStore(settings.data_dir, 14)
    key.chmod(0o600)
    # Another key cannot open the records: crypto-erase works.
    key.unlink()
    with pytest.raises(DecryptError):
        CareStore(settings.data_dir, 14).load()


def test_a_tampered_record_is_refused(settings: Settings, example_store: CareStore) -> None:
    example_store.close()
    db = sqlite3.connect(settings.data_dir / "care.db")
    db.execute("UPDATE records SET body = (SELECT body FROM records WHERE seq = 1) WHERE seq = 2")
    db.commit()
    db.close()
    with pytest.raises(DecryptError):
        CareStore(settings.data_dir, 14).load()


def test_load_gives_back_what_was_imported(example_store: CareStore) -> None:
    care = example_store.load()
    assert care == parse_bundle(EXAMPLE.read_bytes()).care
    status = example_store.status()
    assert status is not None
    assert status.bundle_id == "example-majorna-2026-11-24"
    assert status.counts["Appointment"] == 7


def test_status_has_no_personal_data(example_store: CareStore) -> None:
    status = example_store.status()
    assert status is not None
    text = json.dumps(status.as_dict(), ensure_ascii=False)
    assert not [s for s in _secrets() if s in text]


def test_replace_is_atomic_when_the_disk_fills(
    settings: Settings, example_store: CareStore
) -> None:
    before = example_store.load()
    pages = example_store._db.execute("PRAGMA page_count").fetchone()[0]
    example_store._db.execute(f"PRAGMA max_page_count = {pages + 2}")
    big = parse_bundle(json.dumps(bundle_with_resources(2000)).encode())
    with pytest.raises(StoreError, match="disk is full"):
        example_store.replace(big, MORNING)
    assert example_store.load() == before
    reopened = CareStore(settings.data_dir, 3650)
    assert reopened.load() == before
    reopened.close()


def test_purge_old_visits_and_stale_bundles(example_store: CareStore) -> None:
    bundle = json.loads(EXAMPLE.read_bytes())
    bundle["timestamp"] = "2026-12-01T18:00:00+01:00"  # re-exported later, same visits
    example_store.replace(parse_bundle(json.dumps(bundle).encode()), MORNING)
    example_store.retention = timedelta(days=14)
    assert example_store.purge(MORNING) == 0
    # 9 December: the visits of 24 November are past retention, the bundle (1 December) is not.
    assert example_store.purge(datetime(2026, 12, 9, 12, 0, tzinfo=TZ)) == 7
    care = example_store.load()
    assert care.visits == () and len(care.clients) == 4
    # 20 December: the bundle is stale, but only a newer import replaces it (issue 40).
    example_store.purge(datetime(2026, 12, 20, 12, 0, tzinfo=TZ))
    assert example_store.status() is not None
    assert len(example_store.load().clients) == 4


def test_store_in_an_unusable_directory(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="data directory"):
        CareStore(blocker / "data", 14)


@pytest.mark.slow
def test_import_killed_midway_leaves_old_or_new_data(
    settings: Settings, example_store: CareStore, tmp_path: Path
) -> None:
    example_store.close()
    big = tmp_path / "big.json"
    big.write_text(json.dumps(bundle_with_resources(5000)), encoding="utf-8")
    new_id = json.loads(big.read_text())["id"]
    env = {**os.environ, "HEMASSIST_DATA_DIR": str(settings.data_dir)}
    seen = set()
    for delay in (0.2, 0.5, 0.8, 1.0, 1.2, 1.5, 2.5):
        store = CareStore(settings.data_dir, 3650)
        store.replace(read_bundle(EXAMPLE, 10**7), MORNING)
        store.close()
        proc = subprocess.Popen(
            [sys.executable, "-m", "device.cli", "import-fhir", str(big)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        store = CareStore(settings.data_dir, 3650)
        status = store.status()
        care = store.load()
        store.close()
        assert status is not None
        assert status.bundle_id in ("example-majorna-2026-11-24", new_id)
        expected = 4 if status.bundle_id.startswith("example") else 30
        assert len(care.clients) == expected
        seen.add(status.bundle_id)
    # The kills should have hit both before and after the switch at least once.
    assert "example-majorna-2026-11-24" in seen
