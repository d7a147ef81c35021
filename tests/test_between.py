"""The time between two named clients' visits asked in any words (device/nlu/between.py): the
two clients read from the words that join them, the break's length when one is named; nothing
read without two clients so joined or without a question of time (issue 39, round12)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from device.care.fhir_import import parse_bundle
from device.nlu.between import between_reading
from device.nlu.names import NameIndex
from device.nlu.question import read_question
from tests.conftest import EXAMPLE

NAMES = NameIndex.of_clients(parse_bundle(EXAMPLE.read_bytes()).care)
GRETA, ANNA, BERTIL = "Patient/p-greta", "Patient/p-anna", "Patient/p-bertil"


@pytest.mark.parametrize(
    ("question", "lang", "since", "client", "minutes"),
    [
        ("hinner jag ta en halvtimmes rast mellan gittan och anna", "sv", GRETA, ANNA, 30),
        ("Hur lång lucka blir det mellan Bertil och Greta?", "sv", BERTIL, GRETA, None),
        ("Har jag tid för fika efter Greta innan Anna?", "sv", GRETA, ANNA, None),
        (
            "I want a twenty minute coffee break after Anna's lunch, does that fit before Bertil?",
            "en",
            ANNA,
            BERTIL,
            20,
        ),
        ("Is there a gap between Greta and Bertil?", "en", GRETA, BERTIL, None),
    ],
)
def test_two_clients_joined_by_their_words(
    question: str, lang: str, since: str, client: str, minutes: int | None
) -> None:
    reading = between_reading(read_question(question, lang), NAMES.named_in)
    assert reading is not None and reading.intent == "time_left"
    assert reading.slots["since"] == (since,) and reading.slots["client"] == (client,)
    assert reading.slots.get("break_minutes") == minutes


@pytest.mark.parametrize(
    "question",
    [
        "Vad ska jag göra hos Anna efter Greta?",  # no question of time
        "Hur lång tid har jag mellan lunch och Anna?",  # one client
        "Hur lång tid har jag mellan Anna och Anna?",  # the same client
        "How long is my visit with Bertil?",
    ],
)
def test_nothing_read_without_two_clients_and_a_time(question: str) -> None:
    assert between_reading(read_question(question, "sv"), NAMES.named_in) is None


@given(
    first=st.sampled_from(["greta", "anna", "bertil", "yusuf"]),
    then=st.sampled_from(["greta", "anna", "bertil", "yusuf"]),
    opening=st.sampled_from(["hinner jag en paus", "hur lång tid har jag", "how long is the gap"]),
    joint=st.sampled_from([("mellan", "och"), ("efter", "innan"), ("between", "and")]),
)
def test_property_the_clients_are_those_said_in_the_order_said(
    first: str, then: str, opening: str, joint: tuple[str, str]
) -> None:
    question = f"{opening} {joint[0]} {first} {joint[1]} {then}"
    reading = between_reading(read_question(question, "sv"), NAMES.named_in)
    if first == then:
        assert reading is None
        return
    assert reading is not None
    assert reading.slots["since"] == NAMES.named_in(first)
    assert reading.slots["client"] == NAMES.named_in(then)
