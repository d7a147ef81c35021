"""Whom to call in a situation (device/nlu/situations.py), on plain values: a client's health is
the nurse's after 112, the worker's own illness the coordinator's, anything else no one's here."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from device.nlu.situations import whom_to_call


@pytest.mark.parametrize(
    "question",
    [
        "Vem ringer jag om Märta blir andfådd?",
        "Kjells blodsocker är jättehögt innan maten, vem ska jag prata med?",
        "Greta has a fever, who should I talk to?",
        "Om Olle verkar förvirrad, vem ska jag kontakta?",
        "Vem larmar jag om Kjell har trillat i badrummet?",
        "Vem ska jag ringa om något händer med Karins insulin?",
        "Who should I phone if Siv feels ill?",
        "Who do I call when Bertil has fallen?",
        "Maria har ramlat, vem ringer jag?",
        "Vem ska jag höra av mig till om Karl får svårt att andas?",
        "Vem ringer jag om Greta mår dåligt efter frukosten?",  # "frukosten" names no wife
        "Who do I call if Bertil feels sick after the makeup class?",
        "Gittan verkar inte må bra idag, vem ska jag ringa?",  # round10, 2026-12-06
    ],
)
def test_a_clients_health_is_the_nurses(question: str) -> None:
    found = whom_to_call(question, "sv")
    assert found is not None
    assert (found.intent, found.slots.get("role"), found.slots.get("ill")) == (
        "escalation",
        "nurse",
        True,
    )


@pytest.mark.parametrize(
    "question",
    [
        "Vem ska jag ringa om jag blir sjuk?",
        "Jag blir sen till Leila, vem ska jag meddela?",
        "Vem ringer jag om jag inte hinner till Märta i tid? Jag hinner inte.",
        "stuck in traffic gonna be late to Leila, who do I let know",
        "Who do I call if I'm running late?",
        "I'm running really late to Leila. Who do I let know?",
    ],
)
def test_the_workers_own_illness_or_delay_is_the_coordinators(question: str) -> None:
    found = whom_to_call(question, "sv")
    assert found is not None and found.slots == {"role": "coordinator"}


def test_an_english_make_is_no_swedish_husband() -> None:
    question = "I'm running late and won't make it to Leila on time. Who do I let know?"
    found = whom_to_call(question, "en")
    assert found is not None and found.slots == {"role": "coordinator"}
    assert whom_to_call("Vem ringer jag om maken blir sjuk?", "sv") is None


@pytest.mark.parametrize(
    "question",
    [
        "Vem ringer jag om bilen går sönder?",  # not health
        "Vilken anhörig ska jag ringa om Greta ramlar?",  # asks for someone else
        "Vem ringer jag om Annas dotter?",
        "Vem ska jag ringa om maken blir sjuk?",
        "Vilken av döttrarna ringer jag om Greta ramlar?",
        "Who do I call if Siv's husband feels ill?",
        "Leilas dotter är sen, vem ska jag meddela?",  # someone else's delay
        "Vem kommer sen?",  # "sen": then
        "Olle verkar förvirrad ikväll. Vem i familjen kan jag ringa?",  # the family: relatives
        "Who in Siv's family do I call if she falls?",
        "Är Greta sjuk?",  # not whom to call
        "Vem är sjuk idag?",
    ],
)
def test_anything_else_is_left_to_the_other_readers(question: str) -> None:
    assert whom_to_call(question, "sv") is None


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyzåäö ,?", max_size=80))
def test_no_health_word_no_nurse(text: str) -> None:
    # Without a word of illness, injury or medicine nothing here sends the worker to the nurse.
    found = whom_to_call(f"vem ringer jag om {text}", "sv")
    if found is not None and found.slots.get("role") == "nurse":
        assert found.intent == "escalation"
        words = ("sjuk", "ont", "ramla", "trilla", "fall", "föll", "svimm", "andfådd", "andnöd")
        more = ("andas", "förvirr", "blöd", "kräk", "feber", "skada", "medvetslös", "blodsocker")
        rest = ("insulin", "kramp", "smärt", "dålig", "ill", "sick", "unwell", "pain", "fell")
        rest += ("halka", "snubbl", "slipped", "tripped", "stumbl")
        assert any(w in text for w in (*words, *more, *rest, "faint", "confus", "bleed")) or any(
            w in text for w in ("breath", "fever", "hurt", "injur", "vomit", "seizure", "blood")
        ), text


@pytest.mark.parametrize(
    "question",
    [
        "I'm running really late and won't make it to Leila at three. Who do I let know?",
        "I can't make it to Olof on time, who do I tell?",
    ],
)
def test_not_making_it_in_time_is_the_coordinators(question: str) -> None:
    # In English "make it" names no husband (Swedish "make"): read in the question's language.
    found = whom_to_call(question, "en")
    assert found is not None and found.slots == {"role": "coordinator"}
