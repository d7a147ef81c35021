"""No care data is lost on import (issue 40, part 1): a bundle that is too old, older than the
data in use, without id or export time, or with a code outside its FHIR value set is refused
before the data in use is touched; the purge never deletes the snapshot in use; the demo works
on any date, checked with the real clock moved months ahead (libfaketime)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from device.care.fhir_codes import _STATUS
from device.care.fhir_import import BundleError, parse_bundle
from device.care.rebase import first_day, move_to_day
from device.care.store import CareStore
from device.cli import main
from tests.conftest import EXAMPLE, MORNING, TZ

ROOT = Path(__file__).resolve().parent.parent


def _example() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    return data


def _write(tmp_path: Path, bundle: dict[str, Any], name: str = "bundle.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(bundle), encoding="utf-8")
    return path


def _exported(days_ago: float) -> str:
    return (datetime.now(TZ) - timedelta(days=days_ago)).isoformat(timespec="seconds")


def _nurse_answer(capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert main(["ask", "--text", "Vem är sjuksköterskan?", "--json"]) == 0
    return str(json.loads(capsys.readouterr().out)["answer"])


def _status(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["status"]) == 0
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    return report


@pytest.fixture
def short_retention(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEMASSIST_STORE__RETENTION_DAYS", "14")


@pytest.fixture
def fresh_import(
    tmp_path: Path, short_retention: None, capsys: pytest.CaptureFixture[str]
) -> dict[str, Any]:
    """The example bundle exported yesterday, imported: the data in use."""
    bundle = _example()
    bundle["timestamp"] = _exported(1)
    assert main(["import-fhir", str(_write(tmp_path, bundle, "fresh.json"))]) == 0
    return bundle


def test_an_export_older_than_the_retention_is_refused_and_the_data_stays(
    tmp_path: Path, fresh_import: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    old = _example()
    old["id"] = "old-export"
    old["timestamp"] = _exported(25)
    capsys.readouterr()
    assert main(["import-fhir", str(_write(tmp_path, old, "old.json"))]) == 1
    err = capsys.readouterr().err
    assert "'timestamp'" in err and "more than 14 days ago" in err
    assert "previous care data stays in use" in err
    assert _status(capsys)["bundle_id"] == fresh_import["id"]
    assert "Sara Holm" in _nurse_answer(capsys)


def test_an_export_older_than_the_data_in_use_is_a_rollback(
    tmp_path: Path, fresh_import: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    older = _example()
    older["id"] = "older-export"
    older["timestamp"] = _exported(3)
    path = _write(tmp_path, older, "older.json")
    capsys.readouterr()
    assert main(["import-fhir", str(path)]) == 1
    err = capsys.readouterr().err
    assert "before the care data in use" in err and "--allow-older" in err
    assert _status(capsys)["bundle_id"] == fresh_import["id"]
    # Going back on purpose is one flag away; the same export again is always allowed.
    assert main(["import-fhir", "--allow-older", str(path)]) == 0
    assert _status(capsys)["bundle_id"] == "older-export"
    assert main(["provision", "data", "import", str(path)]) == 0


@pytest.mark.parametrize(
    ("spoil", "mentions"),
    [
        (lambda b: b.pop("id"), ["field 'id'"]),
        (lambda b: b.__setitem__("id", "  "), ["field 'id'"]),
        (lambda b: b.pop("timestamp"), ["field 'timestamp'"]),
        (lambda b: b.__setitem__("timestamp", "2026-11-23T18:00:00"), ["field 'timestamp'"]),
        (
            lambda b: _resource(b, "p-anna-v1").__setitem__("status", "bokad"),
            ["Appointment/p-anna-v1", "field 'status'", "'bokad'"],
        ),
        (
            lambda b: _resource(b, "p-greta-flag1").__setitem__("status", "aktiv"),
            ["Flag/p-greta-flag1", "field 'status'"],
        ),
        (
            lambda b: _resource(b, "p-anna")["telecom"][0].__setitem__("system", "telefon"),
            ["Patient/p-anna", "field 'telecom[0].system'"],
        ),
        (
            lambda b: _resource(b, "p-anna")["address"][0].__setitem__("use", "hem"),
            ["Patient/p-anna", "field 'address[0].use'"],
        ),
    ],
    ids=["no id", "blank id", "no timestamp", "naive timestamp", "bokad", "flag", "tel", "addr"],
)
def test_a_bundle_the_assistant_would_misread_is_refused_by_the_cli(
    tmp_path: Path,
    fresh_import: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    spoil: Any,
    mentions: list[str],
) -> None:
    bundle = _example()
    bundle["timestamp"] = _exported(0.5)
    spoil(bundle)
    capsys.readouterr()
    assert main(["import-fhir", str(_write(tmp_path, bundle, "bad.json"))]) == 1
    err = capsys.readouterr().err
    assert all(m in err for m in mentions), err
    assert _status(capsys)["counts"]["Appointment"] == 7  # every visit of the data in use
    assert "Sara Holm" in _nurse_answer(capsys)


def _resource(bundle: dict[str, Any], rid: str) -> dict[str, Any]:
    found: dict[str, Any] = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["id"] == rid
    )
    return found


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind_and_id=st.sampled_from(
        [
            ("Appointment", "p-anna-v1"),
            ("CarePlan", "p-bertil-plan"),
            ("Flag", "p-greta-flag1"),
            ("MedicationRequest", "p-greta-med1"),
        ]
    ),
    code=st.one_of(
        st.text(min_size=1, max_size=20), st.sampled_from(sorted(set().union(*_STATUS.values())))
    ),
)
def test_property_a_status_outside_its_value_set_never_imports(
    kind_and_id: tuple[str, str], code: str
) -> None:
    kind, rid = kind_and_id
    bundle = _example()
    _resource(bundle, rid)["status"] = code
    raw = json.dumps(bundle).encode()
    if code in _STATUS[kind]:
        parse_bundle(raw)  # a valid code imports (a non-live one is then not stored)
    else:
        with pytest.raises(BundleError, match=rf"{kind}/{rid}\): field 'status'"):
            parse_bundle(raw)


def test_the_purge_never_deletes_the_snapshot_in_use(example_store: CareStore) -> None:
    example_store.retention = timedelta(days=14)
    months_later = datetime(2027, 3, 1, 12, 0, tzinfo=TZ)
    assert example_store.purge(months_later) == 7  # the visits of 24 November go
    care = example_store.load()
    assert care.visits == () and len(care.clients) == 4  # the routines, flags, people stay
    status = example_store.status()
    assert status is not None and status.bundle_id == "example-majorna-2026-11-24"


def test_status_says_when_the_data_in_use_is_stale(
    example_store: CareStore, capsys: pytest.CaptureFixture[str], short_retention: None
) -> None:
    example_store.close()
    report = _status(capsys)
    assert report["exported"] == "2026-11-23T18:00:00+01:00"
    assert report["age_days"] > 0
    age = datetime.now(TZ) - datetime(2026, 11, 23, 18, 0, tzinfo=TZ)
    assert report["stale"] is (age.days >= 14)


@settings(max_examples=80, deadline=None)
@given(day=st.dates(min_value=date(2020, 1, 1), max_value=date(2040, 12, 31)))
def test_property_the_example_moved_to_any_day_keeps_its_times_of_day(day: date) -> None:
    bundle = _example()
    moved = move_to_day(bundle, day, TZ)
    assert first_day(moved, TZ) == day
    before = [r for r in (e["resource"] for e in bundle["entry"]) if "start" in r]
    after = [r for r in (e["resource"] for e in moved["entry"]) if "start" in r]
    for old, new in zip(before, after, strict=True):
        for field in ("start", "end"):
            was = datetime.fromisoformat(old[field]).astimezone(TZ)
            now = datetime.fromisoformat(new[field]).astimezone(TZ)
            assert (now.hour, now.minute) == (was.hour, was.minute)
            assert (now.date() - was.date()) == (day - date(2026, 11, 24))
    parse_bundle(json.dumps(moved).encode())  # still a valid bundle


def test_demo_with_the_clock_months_ahead(tmp_path: Path) -> None:
    """The real demo command under libfaketime: the clock of the whole process is moved."""
    faketime = shutil.which("faketime")
    assert faketime, "libfaketime is missing: scripts/setup.sh installs Debian's faketime"
    env = {
        **os.environ,
        "HEMASSIST_DATA_DIR": str(tmp_path / "data"),
        "HEMASSIST_STORE__RETENTION_DAYS": "14",  # the shipped default
    }
    for ahead in ("2027-03-15 06:00:00", "2027-07-01 06:00:00"):  # winter and summer time
        result = subprocess.run(
            [faketime, ahead, sys.executable, "-m", "device.cli", "demo", "--bundle", str(EXAMPLE)],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            cwd=ROOT,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        assert "Nästa besök: Anna Andersson" in result.stdout
        assert "Portkod 4512" in result.stdout
        assert ahead[:10] in result.stdout  # asked on that day
        status = subprocess.run(
            [faketime, ahead, sys.executable, "-m", "device.cli", "status"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
        )
        assert json.loads(status.stdout)["stale"] is False


def test_the_example_bundle_imported_as_is_is_refused_once_too_old(
    tmp_path: Path, short_retention: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """What the technician met: the 2026-11-23 export, months later, must not wipe anything."""
    bundle = _example()
    bundle["timestamp"] = (MORNING - timedelta(days=400)).isoformat()
    assert main(["import-fhir", str(_write(tmp_path, bundle))]) == 1
    capsys.readouterr()
    assert _status(capsys)["care_data"] == "none imported"
