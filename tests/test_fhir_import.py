"""Importing care data: bad bundles get a clear message naming resource and field, a non-zero
exit, and the previous data keeps answering."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from device.care.fhir_import import BundleError, parse_bundle, read_bundle
from device.cli import main
from tests.conftest import EXAMPLE

Bundle = dict[str, Any]


def _example() -> Bundle:
    data: Bundle = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    return data


def _entry(bundle: Bundle, rid: str) -> Bundle:
    return next(e["resource"] for e in bundle["entry"] if e["resource"]["id"] == rid)


def _drop(rid: str, field: str) -> Callable[[Bundle], None]:
    return lambda b: _entry(b, rid).pop(field)


def _set(rid: str, field: str, value: Any) -> Callable[[Bundle], None]:
    return lambda b: _entry(b, rid).__setitem__(field, value)


BAD: list[tuple[str, Callable[[Bundle], None], list[str]]] = [
    (
        "wrong type of a field",
        _set("p-anna-v1", "start", "i morgon bitti"),
        ["Appointment/p-anna-v1", "'start'"],
    ),
    ("status not a string", _set("p-anna-v2", "status", 5), ["Appointment/p-anna-v2", "'status'"]),
    (
        "missing FHIR-required status",
        _drop("p-greta-flag1", "status"),
        ["Flag/p-greta-flag1", "'status'"],
    ),
    (
        "missing FHIR-required subject",
        _drop("p-bertil-plan", "subject"),
        ["CarePlan/p-bertil-plan", "'subject'"],
    ),
    (
        "booked visit without an end",
        _drop("p-yusuf-v1", "end"),
        ["Appointment/p-yusuf-v1", "'end'"],
    ),
    (
        "dangling reference",
        _set("p-greta-med1", "subject", {"reference": "Patient/p-nobody"}),
        ["MedicationRequest/p-greta-med1", "'subject'", "not in the bundle"],
    ),
    (
        "visit without a client",
        _set(
            "p-anna-v3",
            "participant",
            [{"actor": {"reference": "Practitioner/w-lina"}, "status": "accepted"}],
        ),
        ["Appointment/p-anna-v3", "'participant'"],
    ),
    (
        "unknown resource type",
        lambda b: b["entry"][1]["resource"].__setitem__("resourceType", "Pet"),
        ["entry 1", "'Pet'"],
    ),
    ("resource without id", _drop("p-bertil", "id"), ["Patient", "'id'"]),
    (
        "duplicate id",
        lambda b: b["entry"].append(copy.deepcopy(b["entry"][1])),
        ["Practitioner/w-lina", "twice"],
    ),
    ("patient without a name", _set("p-yusuf", "name", []), ["Patient/p-yusuf", "'name'"]),
    ("entry without resource", lambda b: b["entry"].append({"fullUrl": "x"}), ["'resource'"]),
]


@pytest.mark.parametrize(("label", "spoil", "mentions"), BAD, ids=[b[0] for b in BAD])
def test_bad_bundle_names_the_resource_and_field(
    label: str, spoil: Callable[[Bundle], None], mentions: list[str]
) -> None:
    bundle = _example()
    spoil(bundle)
    with pytest.raises(BundleError) as caught:
        parse_bundle(json.dumps(bundle).encode(), "bundle.json")
    message = str(caught.value)
    for part in mentions:
        assert part in message
    assert "previous care data stays in use" in message


@pytest.mark.parametrize(
    ("raw", "mention"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe\x00", "not JSON text"),
        (b"[1, 2]", "not a FHIR Bundle"),
        (b'{"resourceType": "Patient", "id": "x"}', "not a FHIR Bundle"),
        (b'{"resourceType": "Bundle", "type": "collection"}', "'entry'"),
        (b'{"resourceType": "Bundle", "type": "collection", "entry": 5}', "'entry'"),
    ],
)
def test_not_a_bundle(raw: bytes, mention: str) -> None:
    with pytest.raises(BundleError, match=mention):
        parse_bundle(raw)


def test_error_messages_carry_no_values_from_the_data() -> None:
    bundle = _example()
    _entry(bundle, "p-anna-v1")["start"] = "Anna Andersson Linnégatan 12"
    _entry(bundle, "p-greta")["telecom"] = [{"system": "phone", "value": 46701234567}]
    with pytest.raises(BundleError) as caught:
        parse_bundle(json.dumps(bundle).encode())
    message = str(caught.value)
    for secret in ("Anna Andersson", "Linnégatan", "46701234567"):
        assert secret not in message


def test_far_too_large_file_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as handle:
        handle.seek(60_000_000)
        handle.write(b"}")
    with pytest.raises(BundleError, match="more than the limit"):
        read_bundle(big, 50_000_000)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="can't read the file"):
        read_bundle(tmp_path / "nope.json", 10**6)


def test_only_described_fields_are_kept() -> None:
    bundle = _example()
    patient = _entry(bundle, "p-anna")
    patient["identifier"] = [{"system": "urn:oid:1.2.752.129.2.1.3.1", "value": "19400101-1234"}]
    patient["birthDate"] = "1940-01-01"
    bundle["entry"].append(
        {
            "resource": {
                "resourceType": "Observation",
                "id": "o1",
                "status": "final",
                "code": {"text": "Vikt"},
            }
        }
    )
    valid = parse_bundle(json.dumps(bundle).encode())
    stored = next(r for r in valid.resources if r["id"] == "p-anna")
    assert "identifier" not in stored and "birthDate" not in stored
    assert valid.ignored == {"Observation": 1}
    assert "19400101-1234" not in json.dumps(valid.resources)


def test_cancelled_visits_are_kept_but_not_next(tmp_path: Path) -> None:
    bundle = _example()
    _entry(bundle, "p-anna-v1")["status"] = "cancelled"
    care = parse_bundle(json.dumps(bundle).encode()).care
    visit = next(v for v in care.visits if v.ref == "Appointment/p-anna-v1")
    assert visit.cancelled and not visit.booked


@pytest.mark.parametrize(("label", "spoil", "mentions"), BAD[:4], ids=[b[0] for b in BAD[:4]])
def test_cli_bad_bundle_exits_non_zero_and_keeps_old_data(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    label: str,
    spoil: Callable[[Bundle], None],
    mentions: list[str],
) -> None:
    assert main(["import-fhir", str(EXAMPLE)]) == 0
    bundle = _example()
    spoil(bundle)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(bundle), encoding="utf-8")
    capsys.readouterr()
    assert main(["import-fhir", str(bad)]) == 1
    err = capsys.readouterr().err
    assert all(part in err for part in mentions)
    assert main(["ask", "--text", "Vem är sjuksköterskan?", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert "Sara Holm" in answer["answer"]
