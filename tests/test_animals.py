"""One animal asked after ("har Olle nån katt?"): his dog is no cat. The records of that animal
are read; another animal's record is said as what the records hold, the one asked after as not
found (an honest "I don't know"), never as a yes (round6, 2026-12-07)."""

from __future__ import annotations

from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st

from device.answers.ask import Ask
from device.answers.careplan import _ANIMALS, flags
from device.assistant import Assistant
from device.care.fhir_import import parse_bundle
from device.nlu.recognizer import Recognition
from tests.conftest import EXAMPLE, TZ

THIRD = parse_bundle((EXAMPLE.parent / "third-bundle.json").read_bytes()).care
TEN = datetime(2026, 12, 14, 10, 0, tzinfo=TZ)


def test_a_dog_is_no_cat(assistant: Assistant) -> None:
    assistant.use_care(THIRD)
    cat = assistant.ask("har olle nån katt", now=TEN)
    assert cat.outcome == "unknown" and "ingen katt" in cat.answer and "Rex" in cat.answer
    dog = assistant.ask("har olle någon hund", now=TEN)
    assert dog.outcome == "answered" and "Hunden Rex" in dog.answer
    bird = assistant.ask("Does Kjell have a bird?", now=TEN)
    assert "undulat" in bird.answer and "Patient/t-kjell" in bird.sources
    none = assistant.ask("does marta have a dog", now=TEN)
    assert none.outcome == "unknown" and "don't find a dog" in none.answer


@given(
    client=st.sampled_from(sorted(c.ref for c in THIRD.clients)),
    animal=st.sampled_from(sorted(_ANIMALS)),
    lang=st.sampled_from(["sv", "en"]),
)
def test_property_an_animal_is_answered_only_by_its_own_record(
    client: str, animal: str, lang: str
) -> None:
    """Whichever client and animal: only her records are cited, and an answer that is not an
    honest "I don't know" quotes a record naming that very animal."""
    ask = Ask(care=THIRD, now=TEN, tz=TZ, lang=lang)
    slots = {"client": (client,), "flag_topic": "pet", "animal": animal}
    reply = flags(ask, Recognition("flags", lang, slots))
    theirs = {client, *(f.ref for f in THIRD.flags_of(client))}
    theirs |= {p.ref for p in THIRD.careplans_of(client)}
    theirs |= {m.ref for m in THIRD.medications_of(client)}
    assert set(reply.sources) <= theirs
    if reply.outcome != "unknown":
        assert _ANIMALS[animal].search(reply.text)
