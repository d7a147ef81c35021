"""A medicine asked for by name: read from the list when it is there; when it is not, every
other record is read before "not in the list" (issue 39: "insulin ges av sjuksköterska")."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from device.answers.ask import Ask
from device.answers.medication import SYMPTOM_WORDS, medication
from device.answers.phrases import say
from device.assistant import Assistant
from device.care.fhir_import import parse_bundle
from device.care.model import CareData
from device.nlu.recognizer import Recognition
from tests.conftest import EXAMPLE, MORNING, TZ

BUNDLE: dict[str, Any] = json.loads(EXAMPLE.read_text(encoding="utf-8"))


def _care_with_flag(text: str) -> CareData:
    bundle = copy.deepcopy(BUNDLE)
    flag = {
        "fullUrl": "urn:uuid:flag-p-yusuf-flag9",
        "resource": {
            "resourceType": "Flag",
            "id": "p-yusuf-flag9",
            "status": "active",
            "category": [{"text": "clinical"}],
            "code": {"text": text},
            "subject": {"reference": "Patient/p-yusuf"},
        },
    }
    bundle["entry"].append(flag)
    return parse_bundle(json.dumps(bundle).encode()).care


def _ask(care: CareData, medicine: str, lang: str = "sv") -> Any:
    ask = Ask(care=care, now=MORNING, tz=TZ, lang=lang)
    slots = {"client": ("Patient/p-yusuf",), "medicine": medicine}
    return medication(ask, Recognition("medication", lang, slots))


def test_a_medicine_only_a_flag_names_is_read_from_the_flag() -> None:
    reply = _ask(_care_with_flag("Insulin ges av sjuksköterska, inte av hemtjänsten"), "insulin")
    assert reply.text.startswith("Om insulin står det för Yusuf")
    assert "Insulin ges av sjuksköterska, inte av hemtjänsten." in reply.text
    assert "inte i läkemedelslistan" in reply.text
    assert "Flag/p-yusuf-flag9" in reply.sources and reply.must_verify
    english = _ask(_care_with_flag("Insulin ges av sjuksköterska"), "insulin", "en")
    assert "records say about insulin" in english.text and "Flag/p-yusuf-flag9" in english.sources


def test_a_medicine_no_record_names_is_not_in_the_list() -> None:
    reply = _ask(parse_bundle(EXAMPLE.read_bytes()).care, "insulin")
    assert reply.text.startswith("Jag hittar ingen insulin i läkemedelslistan för Yusuf")
    assert reply.sources == ("Patient/p-yusuf",) and reply.must_verify


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyzåäö ", min_size=3, max_size=30))
def test_any_flag_is_read_exactly_when_it_names_the_medicine(text: str) -> None:
    care = _care_with_flag(f"Anteckning: {text}")
    reply = _ask(care, "insulin")
    named = "insulin" in text
    assert ("Flag/p-yusuf-flag9" in reply.sources) == named
    assert ("Om insulin står det" in reply.text) == named


@given(
    st.sampled_from(
        ["blodsocker", "blodsockret", "blodsockervärdet", "läkemedel", "läkemedlet", "läkemedlen",
         "insulinet", "dosen", "tabletterna", "ögondropparna", "inhalatorn", "blodtrycket",
         "Blood sugar", "eye drops"]
    ),
    st.sampled_from(["Mät {} före frukost.", "{}", "Ge {} och skriv in värdet."]),
)  # fmt: skip
def test_property_every_form_of_a_health_word_marks_must_verify(word: str, sentence: str) -> None:
    """A delegated health task in a routine is read as recorded and marked must-verify
    (care-data.md): "Mät blodsockret före frukost" was not, for "blodsocker" only matched the
    indefinite form (round10, 2026-12-06)."""
    from device.answers.ask import HEALTH_WORDS

    assert HEALTH_WORDS.search(sentence.format(word)), word


def test_a_routine_with_a_delegated_health_task_is_must_verify() -> None:
    from bench import heldout
    from device.assistant import Assistant
    from device.nlu.recognizer import load_templates
    from device.settings import CONFIG_DIR, load_settings

    settings = load_settings().model_copy(update={"worker": "w-omar"})
    assistant = Assistant(settings, load_templates(CONFIG_DIR / "sentences"), None)
    assistant.use_care(heldout._cares()["third"])
    turn = assistant.ask(
        "vad ska jag göra hos kjell på frukosten", now=MORNING.replace(year=2026, month=12, day=15)
    )
    assert turn.intent == "routine" and "Mät blodsockret" in turn.answer
    assert turn.must_verify and turn.outcome == "must_verify", turn.answer


THIRD = parse_bundle((EXAMPLE.parent / "third-bundle.json").read_bytes()).care


@given(
    client=st.sampled_from(sorted(c.ref for c in THIRD.clients)),
    symptom=st.sampled_from(sorted(SYMPTOM_WORDS)),
    lang=st.sampled_from(["sv", "en"]),
)
def test_property_a_medicine_for_a_complaint_is_only_ever_read_from_the_list(
    client: str, symptom: str, lang: str
) -> None:
    """Whatever complaint is asked about, for whichever client: must-verify, citing only that
    client's records, each medicine said is on the client's list with its dosage as recorded;
    those said to be for the complaint are exactly those whose dosage says so."""
    ask = Ask(care=THIRD, now=MORNING, tz=TZ, lang=lang)
    reply = medication(
        ask, Recognition("medication", lang, {"client": (client,), "symptom": symptom})
    )
    meds = THIRD.medications_of(client)
    assert reply.must_verify
    theirs = {client, *(m.ref for m in meds)}
    theirs |= {p.ref for p in THIRD.careplans_of(client)} | {f.ref for f in THIRD.flags_of(client)}
    assert set(reply.sources) <= theirs
    cited = [m for m in meds if m.ref in reply.sources]
    for med in cited:
        assert med.name in reply.text and all(d in reply.text for d in med.dosage)
    matching = [m for m in meds if SYMPTOM_WORDS[symptom].search(" ".join([m.name, *m.dosage]))]
    if matching:
        assert cited == matching
    if meds:
        assert say(lang, f"symptom_{symptom}") in reply.text


def test_a_medicine_for_a_complaint_is_the_one_ordered_for_it(
    assistant: Assistant,
) -> None:
    assistant.use_care(THIRD)
    noon = datetime(2026, 12, 14, 12, 20, tzinfo=TZ)
    for question in (
        "Siv says her back hurts, what is she allowed to take?",
        "vad får siv ta mot smärta",
    ):
        turn = assistant.ask(question, now=noon)
        assert turn.must_verify and "Citodon" in turn.answer and "Trombyl" not in turn.answer
        assert "MedicationRequest/t-siv-med2" in turn.sources
    none = assistant.ask("har siv något mot illamående", now=noon)
    assert "Trombyl" in none.answer and "ordinerat vid illamående" in none.answer, none.answer


def test_a_part_of_the_day_reads_the_orders_for_it_or_the_whole_list() -> None:
    """ "Vad ska Kjell ha för medicin ikväll?": the orders whose dosage names that part of the
    day (or none); none for it, the whole list, each with its time as recorded: never an empty
    answer that sounds like "none"."""
    ask = Ask(care=THIRD, now=MORNING, tz=TZ, lang="sv")

    def said(part: str) -> str:
        slots = {"client": ("Patient/t-kjell",), "part_of_day": part}
        reply = medication(ask, Recognition("medication", "sv", slots))
        assert reply.must_verify
        return reply.text

    # Novorapid "till frukost och … till middagen", Omeprazol "på morgonen".
    assert "Novorapid" in said("morning") and "Omeprazol" in said("morning")
    assert "Novorapid" in said("evening") and "Omeprazol" not in said("evening")
    assert "Novorapid" in said("night") and "Omeprazol" in said("night")  # none for the night


@given(
    client=st.sampled_from(sorted(c.ref for c in THIRD.clients)),
    part=st.sampled_from(["morning", "forenoon", "afternoon", "evening", "night"]),
    lang=st.sampled_from(["sv", "en"]),
)
def test_property_a_part_of_the_day_never_drops_a_whole_list(
    client: str, part: str, lang: str
) -> None:
    """Whichever client and part of the day: must-verify, only her records cited, and every
    order left out names another part of the day in its dosage as recorded."""
    ask = Ask(care=THIRD, now=MORNING, tz=TZ, lang=lang)
    slots = {"client": (client,), "part_of_day": part}
    reply = medication(ask, Recognition("medication", lang, slots))
    meds = THIRD.medications_of(client)
    assert reply.must_verify
    assert set(reply.sources) <= {client, *(m.ref for m in meds)}
    said = [m for m in meds if m.ref in reply.sources]
    if meds:
        assert said
    for med in meds:
        if med not in said:
            assert any(med.dosage) and all(m.name in reply.text for m in said)


def test_a_stomach_complaint_reads_the_list_and_says_none_is_ordered_for_it(
    assistant: Assistant,
) -> None:
    """Omeprazol's order says "20 mg på morgonen", not what it is for: the list is read, and
    said to have nothing *written as* for the stomach (never a judgement of which medicine is
    for what, nor a claim that none on the list helps)."""
    assistant.use_care(THIRD)
    for question, words in (
        ("Does Kjell take anything for his stomach?", "is written as for stomach trouble"),
        ("tar kjell något mot magen", "står som ordinerat vid magbesvär"),
    ):
        turn = assistant.ask(question, now=datetime(2026, 12, 14, 7, 35, tzinfo=TZ))
        assert turn.must_verify and "Omeprazol" in turn.answer and words in turn.answer
