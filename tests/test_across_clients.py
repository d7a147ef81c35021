"""A question for the clients whose records say something ("vem av brukarna har hund?", "who
has a cat?", "vilka har allergier?"): read from each client whose own sentences hold every content
word, up to MOST_ACROSS of them; when none or more do, not read at all (issue 39)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from device.answers.ask import Ask, Reply
from device.answers.careplan import records
from device.answers.records import client_sentences, search
from device.care.fhir_import import parse_bundle
from device.nlu.question import read_question
from device.nlu.recognizer import Recognition, Recognizer, load_templates
from device.nlu.text import normalize
from device.readers import _ASKING_WHO, MOST_ACROSS, across_clients
from device.settings import CONFIG_DIR
from tests.conftest import DATA

CARE = parse_bundle((DATA / "third-bundle.json").read_bytes()).care
RECOGNIZER = Recognizer(load_templates(CONFIG_DIR / "sentences"), CARE, 0.8)
UNKNOWN = {"sv": Recognition("unknown", "sv"), "en": Recognition("unknown", "en")}
WORDS = sorted(
    {
        w
        for c in CARE.clients
        for hit in client_sentences(c, CARE)
        for w in normalize(hit.text).split()
        if w.isalpha() and len(w) > 3
    }
)


@pytest.mark.parametrize(
    ("question", "lang", "client"),
    [
        ("Vem av brukarna har hund?", "sv", "Patient/t-olof"),
        ("Who has a cat?", "en", "Patient/t-siv"),
        ("Vem är allergisk mot nötter?", "sv", "Patient/t-siv"),
        ("vilka av mina brukare har allergier", "sv", "Patient/t-siv"),
        ("Vilka brukare tar Waran?", "sv", "Patient/t-olof"),
        ("har någon av brukarna fallrisk", "sv", "Patient/t-kjell"),
        ("Does anyone have a cat?", "en", "Patient/t-siv"),
    ],
)
def test_the_one_client_whose_records_say_it(question: str, lang: str, client: str) -> None:
    reading = across_clients(read_question(question, lang), UNKNOWN[lang], RECOGNIZER, CARE)
    assert reading.intent == "records" and reading.clients == (client,)


def test_nothing_is_read_without_a_who_or_when_no_record_says_it() -> None:
    for question in ("har hund", "Vem har en papegoja?", "vem har en häst"):
        assert (
            across_clients(read_question(question, "sv"), UNKNOWN["sv"], RECOGNIZER, CARE).intent
            == "unknown"
        )


@given(word=st.sampled_from(WORDS), lang=st.sampled_from(["sv", "en"]))
def test_property_clients_are_chosen_only_when_their_own_records_say_it(
    word: str, lang: str
) -> None:
    """Whatever recorded word is asked after: a reading names exactly the clients whose own
    sentences hold the word, one to MOST_ACROSS of them, and no other."""
    question = f"vem har {word}" if lang == "sv" else f"who has {word}"
    reading = across_clients(read_question(question, lang), UNKNOWN[lang], RECOGNIZER, CARE)
    names = set(RECOGNIZER.names.forms)
    asked = _ASKING_WHO.sub(" ", normalize(question))
    holding = [c.ref for c in CARE.clients if search(CARE, c, asked, names, lang)]
    if reading.intent == "records":
        assert list(reading.clients) == holding and 1 <= len(holding) <= MOST_ACROSS
    else:
        assert not 1 <= len(holding) <= MOST_ACROSS or not asked.split()


def _answer(question: str, lang: str = "sv") -> Reply:
    reading = across_clients(read_question(question, lang), UNKNOWN[lang], RECOGNIZER, CARE)
    now = datetime(2026, 12, 14, 9, 0, tzinfo=ZoneInfo("Europe/Stockholm"))
    return records(Ask(care=CARE, now=now, tz=ZoneInfo("Europe/Stockholm"), lang=lang), reading)


def test_several_clients_are_read_each_with_what_their_own_records_say() -> None:
    reply = _answer("Vem har husdjur?")
    assert reply.outcome == "answered"
    for name, said, source in (
        ("Kjell Åberg", "undulat", "CarePlan/t-kjell-plan"),
        ("Siv Holmberg", "Katten Sigge", "CarePlan/t-siv-plan"),
        ("Olof Berglund", "Hunden Rex", "Flag/t-olof-flag2"),
    ):
        assert name in reply.text and said in reply.text and source in reply.sources
    assert "Leila" not in reply.text  # her records say nothing of an animal


def test_a_health_fact_read_across_clients_is_marked_must_verify() -> None:
    reply = _answer("Vilka brukare tar Waran?")
    assert reply.must_verify and "MedicationRequest/t-olof-med2" in reply.sources
    assert "2,5 mg" in reply.text  # as recorded


@given(word=st.sampled_from(WORDS))
def test_property_what_is_read_across_clients_is_each_ones_own_record(word: str) -> None:
    """Every client named in the answer is cited with a record of their own, and every
    sentence read is one of the named clients' own."""
    reply = _answer(f"vem har {word}")
    if reply.outcome not in ("answered", "must_verify"):
        return
    named = [c for c in CARE.clients if c.full_name in reply.text]
    assert named and all(c.ref in reply.sources for c in named)
    own = {h.ref for c in named for h in client_sentences(c, CARE)}
    assert {s for s in reply.sources if not s.startswith("Patient/")} <= own
