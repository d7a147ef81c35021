"""An LLM reading is used only when it fits the question's words and names (pure function)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from device.care.fhir_import import parse_bundle
from device.nlu.agreement import agrees, asks_a_name_it_lacks
from device.nlu.names import NameIndex
from device.nlu.question import Question, read_question
from device.nlu.recognizer import Recognition
from tests.conftest import EXAMPLE

NAMES = NameIndex.of_clients(parse_bundle(Path(EXAMPLE).read_bytes()).care)


def _q(text: str) -> Question:
    return read_question(text, "sv")


def _reading(intent: str, client: str | None = None, **slots: object) -> Recognition:
    if client:
        slots["client"] = (client,)
    return Recognition(intent, "sv", slots, via="llm")


@pytest.mark.parametrize(
    ("question", "reading"),
    [
        # The misreadings seen from outside: each would have answered another question.
        ("Jag behöver ringa Annas dotter", _reading("escalation", role="coordinator")),
        ("Ring Karin", _reading("escalation", role="coordinator")),
        ("Tål Greta nötter?", _reading("access", "Patient/p-greta")),
        ("Berätta om Yusuf", _reading("visit_time", "Patient/p-yusuf")),
        # A client the question never named.
        ("Vilken gata bor hon på?", _reading("address", "Patient/p-greta")),
        ("Vad ska Bertil äta?", _reading("medication", "Patient/p-greta")),
        # Words that demand another kind of answer.
        ("Vem ska jag ringa om Gretas insulin?", _reading("medication", "Patient/p-greta")),
        ("Vem är det som planerar besöken?", _reading("schedule")),
        ("Kan du säga vem som är nästa?", _reading("help")),
        ("Vem är sjuksköterska idag?", _reading("escalation", role="coordinator")),
        ("Vilka ska jag besöka på förmiddagen?", _reading("schedule")),  # read as the whole day
        # A client's life is in the notes, not in what to do at the visit.
        ("What does Greta do for a hobby?", _reading("routine", "Patient/p-greta")),
        ("Vad jobbade Bertil med?", _reading("routine", "Patient/p-bertil")),
        ("Vilket språk pratar Yusuf?", _reading("visit_time", "Patient/p-yusuf")),
        # An allergy or a pet is in the records, not in the day's list (2026-12-07: the similar
        # reader read this as the schedule and answered it).
        ("vilka av mina brukare har allergier", _reading("schedule")),
        ("Which of my clients have pets?", _reading("schedule")),
        ("Hur ska jag göra med Olles hund?", _reading("routine", "Patient/p-bertil")),
        # What comes after a client's visit is not her routine (2026-12-07: it was answered).
        ("vad gör jag efter Greta", _reading("routine", "Patient/p-greta")),
        ("Vad ska Anna äta till frukost?", _reading("flags", "Patient/p-anna", flag_topic="diet")),
        ("What do I have after Anna?", _reading("visit_time", "Patient/p-anna")),
        # The part of the day dropped: asked at noon, the evening visit's length would be said.
        ("How long is my morning visit at Anna's?", _reading("visit_length", "Patient/p-anna")),
        (
            "Hur länge är jag hos Bertil på eftermiddagen?",
            _reading("visit_length", "Patient/p-bertil", part_of_day="forenoon"),
        ),
        # A medicine said is not a visit (round16: "när på dan ska siv ta trombylen" had been
        # answered with her visit's time by the similar reader).
        ("När på dan ska Greta ta Trombylen?", _reading("visit_time", "Patient/p-greta")),
        ("Ska Bertil ha sitt blodförtunnande?", _reading("routine", "Patient/p-bertil")),
    ],
)
def test_readings_that_answer_another_question_are_refused(
    question: str, reading: Recognition
) -> None:
    assert not agrees(reading, read_question(question, "sv"), NAMES, 80)


@pytest.mark.parametrize(
    ("question", "reading"),
    [
        ("Vilken gata bor Greta på?", _reading("address", "Patient/p-greta")),
        ("Vilken gata bor Gretta på?", _reading("address", "Patient/p-greta")),  # misheard
        ("Jag vill prata med Yusufs dotter", _reading("relative_phone", "Patient/p-yusuf")),
        ("Vart bär det av härnäst?", _reading("next_visit")),
        ("Vem ska jag ringa om Greta blir sjuk, sköterskan?", _reading("escalation", role="nurse")),
        ("Vad blir det för väder?", _reading("unknown")),
        ("Vilka väntar på eftermiddagen?", _reading("schedule", part_of_day="afternoon")),
        ("Vilket språk pratar Yusuf?", _reading("notes", "Patient/p-yusuf")),
        ("När ska Greta ta Trombylen?", _reading("medication", "Patient/p-greta")),
        # A kind of visit names its part; "i morgon" is a day, not the morning.
        (
            "Hur länge håller kvällsbesöket hos Anna på?",
            _reading("visit_length", "Patient/p-anna", visit_kind="Kväll"),
        ),
        ("Vad har jag på schemat i morgon?", _reading("schedule", day=1)),
        ("Vem kommer efter Greta?", _reading("next_visit", "Patient/p-greta")),
        ("Vad ska jag göra hos Anna efter Bertil?", _reading("routine", "Patient/p-anna")),
    ],
)
def test_readings_that_fit_are_used(question: str, reading: Recognition) -> None:
    assert agrees(reading, read_question(question, "sv"), NAMES, 80)


CLIENT_INTENTS = ["routine", "notes", "flags", "medication", "visit_time", "address", "access"]


@given(
    client=st.sampled_from(sorted({ref for refs in NAMES.forms.values() for ref in refs})),
    intent=st.sampled_from(CLIENT_INTENTS),
    opening=st.sampled_from(["vad gör jag efter", "vad har jag efter", "what do i do after"]),
)
def test_property_what_follows_a_client_is_never_her_own_answer(
    client: str, intent: str, opening: str
) -> None:
    """Whatever client and whatever answer about her: "… efter <her name>" is not answered by
    it (what follows her visit was asked)."""
    forms = [form for form, refs in NAMES.forms.items() if tuple(refs) == (client,)]
    assert forms
    for form in forms:
        assert not agrees(
            _reading(intent, client), read_question(f"{opening} {form}", "sv"), NAMES, 80
        )


class _Reads:
    """Stands in for the model's reading (a plain value), so the dialogue around a doubtful
    reading is tested on its own; the real model is tested in tests/test_llm_real.py."""

    load_ms = None
    timeout_s = 3.0

    def __init__(self, reading: Recognition) -> None:
        self.reading = reading

    def wait_loaded(self, timeout_s: float | None) -> bool:
        return True

    def understand(self, question: str, care: object, language: str, budget_s: float) -> object:
        from device.nlu.llm import LlmTurn

        return LlmTurn(self.reading)


def _assistant(settings: object, templates: object, reading: Recognition) -> object:
    from device.assistant import Assistant

    assistant = Assistant(settings, templates, None, _Reads(reading))  # type: ignore[arg-type]
    assistant.use_care(parse_bundle(Path(EXAMPLE).read_bytes()).care)
    return assistant


def test_a_doubtful_reading_is_asked_back_and_yes_answers_it(
    settings: object, templates: object
) -> None:
    from tests.conftest import MORNING

    reading = _reading("relative_phone", "Patient/p-anna", relation=("dotter",))
    assistant = _assistant(settings, templates, reading)
    asked = assistant.ask("Hur får jag fatt i den där flickan?", now=MORNING)  # type: ignore[attr-defined]
    assert asked.outcome == "clarify" and asked.sources == ()
    assert "Menar du numret till Anna Anderssons dotter?" in asked.answer
    assert "070" not in asked.answer
    answered = assistant.ask("Ja", now=MORNING)  # type: ignore[attr-defined]
    assert answered.intent == "relative_phone" and "070-123 45 67" in answered.answer
    assert set(answered.sources) == {"RelatedPerson/p-anna-rel1", "Patient/p-anna"}


def test_no_after_an_ask_back_answers_nothing(settings: object, templates: object) -> None:
    from tests.conftest import MORNING

    reading = _reading("access", "Patient/p-greta")
    assistant = _assistant(settings, templates, reading)
    asked = assistant.ask("Hur får jag fatt i den där flickan?", now=MORNING)  # type: ignore[attr-defined]
    assert asked.outcome == "clarify"
    refused = assistant.ask("Nej", now=MORNING)  # type: ignore[attr-defined]
    assert refused.outcome == "unknown" and refused.sources == ()
    assert "annat sätt" in refused.answer
    # A later "ja" has nothing waiting.
    assert assistant.ask("Ja", now=MORNING).sources == ()  # type: ignore[attr-defined]


def test_an_unsure_reading_of_speech_is_said_back_and_yes_answers_it(
    settings: object, templates: object
) -> None:
    from tests.conftest import MORNING

    assistant = _assistant(settings, templates, _reading("unknown", ""))
    sentence = "vad har anna för medicin"
    assert assistant.restatement(sentence, "sv") == "medicinerna för Anna Andersson"  # type: ignore[attr-defined]
    assert not assistant.awaits_yes_or_no(MORNING)  # type: ignore[attr-defined]
    asked = assistant.ask(sentence, now=MORNING, unsure=True)  # type: ignore[attr-defined]
    assert asked.outcome == "clarify" and asked.sources == ()
    # The speech pipeline hears the next words as a yes or no (no names in Whisper's prompt).
    assert assistant.awaits_yes_or_no(MORNING)  # type: ignore[attr-defined]
    assert not assistant.awaits_yes_or_no(MORNING + timedelta(minutes=2))  # type: ignore[attr-defined]
    assert "Menar du medicinerna för Anna Andersson?" in asked.answer
    answered = assistant.ask("Ja", now=MORNING)  # type: ignore[attr-defined]
    assert not assistant.awaits_yes_or_no(MORNING)  # type: ignore[attr-defined]
    assert answered.intent == "medication" and answered.must_verify
    assert "Patient/p-anna" in answered.sources
    # A sure reading is answered at once; one that can't be said back is not asked about.
    assert assistant.ask(sentence, now=MORNING).outcome != "clarify"  # type: ignore[attr-defined]
    assert assistant.restatement("ja", "sv") is None  # type: ignore[attr-defined]
    assert assistant.restatement("det regnar i göteborg", "sv") is None  # type: ignore[attr-defined]


def test_two_clients_too_close_to_hear_apart_are_asked_about_and_a_name_settles_it(
    settings: object, templates: object
) -> None:
    from tests.conftest import MORNING

    assistant = _assistant(settings, templates, _reading("unknown", ""))
    anna, greta = "vad har anna för medicin", "vad har greta för medicin"
    assert assistant.two_clients(anna, greta, "sv")  # type: ignore[attr-defined]
    assert not assistant.two_clients(anna, "har greta några allergier", "sv")  # type: ignore[attr-defined]
    assert not assistant.two_clients(anna, anna, "sv")  # type: ignore[attr-defined]
    asked = assistant.ask_which(anna, greta, "sv", now=MORNING)  # type: ignore[attr-defined]
    assert asked.outcome == "ambiguous" and asked.sources == ()
    assert "Anna Andersson" in asked.answer and "Greta Nilsson" in asked.answer
    answered = assistant.ask("Greta", now=MORNING)  # type: ignore[attr-defined]
    assert answered.intent == "medication" and "Patient/p-greta" in answered.sources


def test_a_name_is_asked_of_a_relative_named_by_relation_only() -> None:
    """ "Vad heter Annas dotter?" is answered with her name; "vad heter Annas katt?" is not
    answered with all her relatives, nor with her flags."""
    daughter = _reading("relative_phone", "Patient/p-anna", relation=("dotter",))
    assert not asks_a_name_it_lacks(daughter, _q("Annas dotter, vad heter hon nu igen?"))
    anyone = _reading("relative_phone", "Patient/p-anna", relation="any")
    assert asks_a_name_it_lacks(anyone, _q("Vad heter Annas katt?"))
    assert asks_a_name_it_lacks(_reading("flags", "Patient/p-anna"), _q("Vad heter Annas katt?"))
    assert not asks_a_name_it_lacks(_reading("flags", "Patient/p-anna"), _q("Har Anna en katt?"))
