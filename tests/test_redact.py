"""Access codes are never spoken unconfirmed, wherever in the care data they are written."""

from __future__ import annotations

import json
from typing import Any

from device.answers.redact import code_tokens, redact
from device.assistant import Assistant
from device.care.fhir_import import parse_bundle
from device.nlu.recognizer import Templates
from device.settings import Settings
from tests.conftest import EXAMPLE, MORNING

CODES = ("4512", "1990", "7733")


def _with_codes_everywhere() -> dict[str, Any]:
    """The example bundle with its own door codes copied into notes, routines, a nickname and
    a dosage text: what a hurried planner might write."""
    bundle = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    for entry in bundle["entry"]:
        res = entry["resource"]
        if res["resourceType"] == "CarePlan":
            res["note"].append(
                {"text": "Om ingen öppnar: portkod 4512, sedan dörren till vänster."}
            )
            for activity in res["activity"]:
                activity["detail"]["description"] += " Koden är 1990 om porten är låst."
        if res["resourceType"] == "Patient" and res["id"] == "p-bertil":
            res["name"].append({"use": "nickname", "given": ["Kod7733"]})
        if res["resourceType"] == "MedicationRequest":
            for dosage in res.get("dosageInstruction", []):
                dosage["text"] += " Medicinskåpet: kod 77 33."
    return bundle


def _assistant(settings: Settings, templates: Templates) -> Assistant:
    assistant = Assistant(settings, templates, None)
    assistant.use_care(parse_bundle(json.dumps(_with_codes_everywhere()).encode()).care)
    return assistant


def test_codes_written_into_other_fields_are_not_spoken(
    settings: Settings, templates: Templates
) -> None:
    assistant = _assistant(settings, templates)
    questions = [
        "Vad ska jag göra hos Bertil?",
        "Vad ska jag göra hos Anna?",
        "Finns det några anteckningar om Greta?",
        "Vilka mediciner tar Greta?",
        "Vem är mitt nästa besök?",
        "Vad har jag i dag?",
        "What should I do at Anna's?",
        "Vad är portkoden till Anna?",  # gated: no code either
    ]
    for question in questions:
        turn = assistant.ask(question, now=MORNING)
        assert not any(code in turn.answer for code in CODES), (question, turn.answer)
        assert "77 33" not in turn.answer
    routine = assistant.ask("Vad ska jag göra hos Anna?", now=MORNING)
    assert "(kod – bekräfta för att höra den)" in routine.answer
    assert assistant.ask("What should I do at Anna's?", now=MORNING).answer.count("(code –") >= 1


def test_a_confirmed_code_question_still_reads_the_code(
    settings: Settings, templates: Templates
) -> None:
    turn = _assistant(settings, templates).ask(
        "Vad är portkoden till Greta?", now=MORNING, confirmed=True
    )
    assert "1990" in turn.answer and not turn.gated


def test_redact_is_exact_about_what_it_hides() -> None:
    tokens = {"4512", "B12x"}
    assert redact("Portkod 4512.", tokens, "sv") == "Portkod (kod – bekräfta för att höra den)."
    assert redact("Koden till dörren är 3 3 4 5", set(), "sv").endswith(
        "(kod – bekräfta för att höra den)"
    )
    # Times, doses and phone numbers far from a code word are left alone.
    kept = "Besöket börjar 08:30. Metformin 500 mg. Ring 070-123 45 67."
    assert redact(kept, tokens, "sv") == kept
    assert "B12x" not in redact("Nyckelbricka B12x i hallen", tokens, "en")


def test_code_tokens_come_from_every_clients_code_field(settings: Settings) -> None:
    care = parse_bundle(EXAMPLE.read_bytes()).care
    assert {"4512", "1990", "7733"} <= code_tokens(care)
