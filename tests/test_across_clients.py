"""A question for the client whose records say something ("vem av brukarna har hund?", "who
has a cat?"): read from the one client whose own sentences hold every content word; when none
or several do, not read at all (issue 39, round10's "which of my clients …")."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from device.answers.records import client_sentences, search
from device.care.fhir_import import parse_bundle
from device.nlu.recognizer import Recognition, Recognizer, load_templates
from device.nlu.text import normalize
from device.readers import _ASKING_WHO, across_clients
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
    ],
)
def test_the_one_client_whose_records_say_it(question: str, lang: str, client: str) -> None:
    reading = across_clients(question, UNKNOWN[lang], RECOGNIZER, CARE)
    assert reading.intent == "records" and reading.clients == (client,)


def test_nothing_is_read_without_a_who_or_when_no_record_says_it() -> None:
    for question in ("har hund", "Vem har en papegoja?", "vem har diabetes"):
        assert across_clients(question, UNKNOWN["sv"], RECOGNIZER, CARE).intent == "unknown"


@given(word=st.sampled_from(WORDS), lang=st.sampled_from(["sv", "en"]))
def test_property_a_client_is_chosen_only_when_theirs_alone_say_it(word: str, lang: str) -> None:
    """Whatever recorded word is asked after: a reading names exactly one client, whose own
    sentences hold the word, and no other client's do."""
    question = f"vem har {word}" if lang == "sv" else f"who has {word}"
    reading = across_clients(question, UNKNOWN[lang], RECOGNIZER, CARE)
    names = set(RECOGNIZER.names.forms)
    asked = _ASKING_WHO.sub(" ", normalize(question))
    holding = [c.ref for c in CARE.clients if search(CARE, c, asked, names, lang)]
    if reading.intent == "records":
        assert list(reading.clients) == holding and len(holding) == 1
    else:
        assert len(holding) != 1 or not asked.split()
