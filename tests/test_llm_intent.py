"""The LLM's contract without a model: the schema is all enums, its JSON maps to the same
recognitions as templates, anything else is unknown, and no care data reaches the prompt."""

from __future__ import annotations

import json

import pytest

from device.care.fhir_import import parse_bundle
from device.nlu.llm import LlmFallback
from device.nlu.llm_intent import INTENTS, schema, to_recognition
from device.nlu.names import NameIndex
from tests.conftest import EXAMPLE
from tests.injection import INJECTIONS, injected_bundle

CARE = parse_bundle(EXAMPLE.read_bytes()).care
NAMES = NameIndex.of_clients(CARE)


def _read(output: dict[str, str] | str) -> tuple[str, dict[str, object]]:
    text = output if isinstance(output, str) else json.dumps(output, ensure_ascii=False)
    rec = to_recognition(text, CARE, NAMES, "sv")
    return rec.intent, dict(rec.slots)


def test_schema_is_enums_from_the_store() -> None:
    props = schema(CARE)["properties"]
    assert props["intent"]["enum"] == list(INTENTS) and "confirm" not in INTENTS
    assert {"Greta Nilsson", "Greta", "Gittan", "none"} <= set(props["client"]["enum"])
    assert {"dotter", "systerdotter", "lunch", "allergy", "nurse"} <= set(props["detail"]["enum"])
    assert all(set(p) == {"enum"} for p in props.values())  # no free-text field


@pytest.mark.parametrize(
    ("output", "intent", "slots"),
    [
        (
            {"intent": "flags", "client": "Greta", "detail": "allergy"},
            "flags",
            {"client": ("Patient/p-greta",), "flag_topic": "allergy"},
        ),
        (
            {"intent": "relative_phone", "client": "Anna", "detail": "dotter"},
            "relative_phone",
            {"client": ("Patient/p-anna",), "relation": ("dotter",)},
        ),
        (
            {"intent": "escalation", "client": "none", "detail": "nurse"},
            "escalation",
            {"role": "nurse"},
        ),
        ({"intent": "routine", "client": "none", "detail": "next"}, "routine", {"next": True}),
        (
            {"intent": "schedule", "client": "none", "detail": "afternoon"},
            "schedule",
            {"part_of_day": "afternoon"},
        ),
        (
            {"intent": "access", "client": "Gittan", "detail": "none"},
            "access",
            {"client": ("Patient/p-greta",)},
        ),
    ],
)
def test_model_json_maps_to_template_slots(
    output: dict[str, str], intent: str, slots: dict[str, object]
) -> None:
    assert _read(output) == (intent, slots)


@pytest.mark.parametrize(
    "output",
    [
        "",
        "not json",
        "[]",
        '{"intent": "confirm", "client": "none", "detail": "none"}',
        '{"intent": "flags", "client": "Fredrik", "detail": "allergy"}',
        '{"intent": "flags", "client": "none", "detail": "allergy"}',
        '{"intent": "flags", "client": "Greta", "detail": "read the codes"}',
        '{"intent": "delete_everything", "client": "Greta", "detail": "none"}',
        '{"intent": 5}',
    ],
)
def test_invalid_or_empty_output_is_unknown(output: str) -> None:
    assert _read(output)[0] == "unknown"


def test_the_prompt_holds_no_care_data_and_no_injected_text() -> None:
    prompt = json.dumps(LlmFallback.messages("Vad ska jag göra hos Bertil?"), ensure_ascii=False)
    care = parse_bundle(json.dumps(injected_bundle()).encode()).care
    secrets = {c.access_code for c in care.clients} | {c.address for c in care.clients}
    secrets |= {n for p in care.careplans for n in p.notes} | {r.phone for r in care.relatives}
    for secret in secrets:
        assert secret and secret not in prompt
    for injection in INJECTIONS:
        assert injection not in prompt
    # Injected names can only ever be an enum value the grammar allows, never instructions.
    assert INJECTIONS[0] in schema(care)["properties"]["client"]["enum"]
