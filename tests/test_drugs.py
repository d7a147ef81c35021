"""A medicine off a client's list, and a class of medicine ("hennes blodförtunnande"):
device/nlu/drugs.py and the medication answer (issue 39; round14 and round15)."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from device.answers.ask import Ask
from device.answers.medication import medication
from device.assistant import Assistant
from device.care.fhir_import import parse_bundle
from device.nlu.drugs import DRUG_NAMES, classes_named, drugs_named, in_class, medicine_reading
from device.nlu.question import read_question
from device.nlu.recognizer import Recognition
from tests.conftest import EXAMPLE, TZ

THIRD = parse_bundle((EXAMPLE.parent / "third-bundle.json").read_bytes()).care
NOON = datetime(2026, 11, 24, 12, 5, tzinfo=TZ)


def _named(text: str) -> tuple[str, ...]:
    return ("Patient/p-anna",) if "anna" in text.lower() else ()


@pytest.mark.parametrize(
    ("text", "slots"),
    [
        ("ska Anna ha nån Alvedon idag eller", {"medicine": "alvedon"}),
        ("ska jag ge anna hennes blodförtunnande", {"drug_class": "blood_thinner"}),
        ("Does Anna take any painkillers?", {"drug_class": "painkiller"}),
        ("annas ögongel, när ska den in", {"medicine": "ögongel"}),
    ],
)
def test_one_client_and_one_medicine_or_class_is_her_medication(
    text: str, slots: dict[str, str]
) -> None:
    reading = medicine_reading(read_question(text, "sv", _named))
    assert reading is not None and reading.intent == "medication"
    assert dict(reading.slots) == {"client": ("Patient/p-anna",), **slots}


@pytest.mark.parametrize(
    "text",
    [
        "är Anna allergisk mot Alvedon",  # an allergy, not the list
        "ska Anna ha Alvedon eller Waran",  # two: which?
        "ska hon ha nån Alvedon",  # nobody named
        "ska Anna ha sin medicin",  # no medicine of the table
    ],
)
def test_anything_else_is_not_read_as_her_medication(text: str) -> None:
    assert medicine_reading(read_question(text, "sv", _named)) is None


def test_a_medicine_off_the_list_says_the_list_beside_it(
    assistant: Assistant,
) -> None:
    turn = assistant.ask("ska Anna ha nån Alvedon idag eller", now=NOON)
    assert "ingen alvedon" in turn.answer.lower() and "Waran" in turn.answer, turn.answer
    assert turn.must_verify and "MedicationRequest/p-anna-med1" in turn.sources


def test_a_class_not_on_the_list_is_not_known_never_none(assistant: Assistant) -> None:
    turn = assistant.ask("ska Greta ha nåt smärtstillande", now=NOON)
    assert "vet inte" in turn.answer and "Metformin" in turn.answer, turn.answer
    assert turn.outcome == "unknown" and turn.must_verify


@given(
    client=st.sampled_from(sorted(c.ref for c in THIRD.clients)),
    key=st.sampled_from(["blood_thinner", "painkiller", "diuretic", "sleeping_pill", "laxative"]),
    lang=st.sampled_from(["sv", "en"]),
)
def test_property_a_class_cites_only_her_orders_and_says_only_those_of_it(
    client: str, key: str, lang: str
) -> None:
    """Whatever the class: only her own orders are cited, every one said as "of the class" is
    in it by the table, and the answer is must-verify."""
    ask = Ask(care=THIRD, now=datetime(2026, 12, 14, 9, 0, tzinfo=TZ), tz=TZ, lang=lang)
    reply = medication(
        ask, Recognition("medication", lang, {"client": (client,), "drug_class": key})
    )
    mine = {m.ref: m for m in THIRD.medications_of(client)}
    cited = [s for s in reply.sources if s.startswith("MedicationRequest/")]
    assert set(cited) == set(mine) and reply.must_verify  # the whole list, always
    of_class = re.split(r"Också på listan|Also on the list", reply.text)[0]
    said_of_class = of_class if reply.outcome == "must_verify" else ""
    for med in mine.values():  # said as of the class only when it is, by the table
        if med.name in said_of_class:
            assert in_class(med.name, key), reply.text
    if reply.outcome != "must_verify":
        assert not any(in_class(m.name, key) for m in mine.values())


@given(
    name=st.sampled_from(sorted(DRUG_NAMES)), before=st.sampled_from(["ska anna ha", "har anna"])
)
def test_property_every_name_of_the_table_is_found_where_said(name: str, before: str) -> None:
    assert drugs_named(f"{before} {name} idag") == [name]
    assert classes_named(f"{before} {name} idag") == []


def test_every_class_asked_for_can_be_said_in_both_languages() -> None:
    from device.nlu.drugs import _CLASS_SAID, CLASS_NAMES

    for lang in ("sv", "en"):
        assert set(_CLASS_SAID) <= set(CLASS_NAMES[lang]), lang
