"""A question read once (device/nlu/question.py) and the one decision over the readers'
readings (device/readers.py ``decide``): plain values in, plain values out."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from device.nlu.question import asked, read_question
from device.nlu.recognizer import Recognition
from device.nlu.text import normalize
from device.readers import Proposal, decide

NOTHING = Recognition("unknown", "sv")


def _named(text: str) -> tuple[str, ...]:
    return tuple(ref for name, ref in (("anna", "A"), ("greta", "G")) if name in text.lower())


def test_a_question_is_read_into_its_words_names_and_ask() -> None:
    question = read_question("Hur länge är jag hos Anna, och sen Greta?", "sv", _named)
    assert question.plain == "hur länge är jag hos anna och sen greta"
    assert question.words[:3] == ["hur", "länge", "är"]
    assert question.clients == ("A", "G")
    assert question.asked.kind == "length"
    assert question.language == "sv"
    assert read_question("Who is next?", "en").clients == ()  # no names given, none read


@given(st.text(max_size=80))
def test_read_once_is_what_each_reader_read_for_itself(text: str) -> None:
    question = read_question(text, "sv", _named)
    assert question.plain == normalize(text)
    assert question.asked == asked(text)
    assert question.clients == tuple(dict.fromkeys(_named(text)))


def _reading(intent: str, **slots: object) -> Recognition:
    return Recognition(intent, "sv", dict(slots))


SIMILAR = _reading("visit_time", client=("G",))
RECORDS = _reading("records", client=("G",), about="x")
OFFERED = _reading("records", client=("G",), about="x", nearest="unsure")
BETWEEN = _reading("time_left", since=("A",), client=("G",))


def test_a_sure_record_outranks_a_template_reading_only_said_back() -> None:
    decided = decide(
        [Proposal("similar", SIMILAR, False), Proposal("records", RECORDS, True)], NOTHING
    )
    assert decided == (RECORDS, False)


def test_two_unsure_readings_say_the_templates_back_for_a_yes_or_no() -> None:
    proposals = [Proposal("records", OFFERED, False), Proposal("similar", SIMILAR, False)]
    assert decide(proposals, NOTHING) == (SIMILAR, True)
    assert decide([Proposal("records", OFFERED, False)], NOTHING) == (OFFERED, False)
    assert decide([], NOTHING) == (NOTHING, False)


_PROPOSALS = st.lists(
    st.sampled_from(
        [
            Proposal("between", BETWEEN, True),
            Proposal("similar", SIMILAR, True),
            Proposal("similar", SIMILAR, False),
            Proposal("records", RECORDS, True),
            Proposal("records", OFFERED, False),
        ]
    ),
    max_size=4,
    unique_by=lambda p: p.reader,
)


@given(_PROPOSALS)
def test_nothing_unsure_is_answered_as_sure(proposals: list[Proposal]) -> None:
    """Whatever the readers propose, the decision takes a proposed reading (or nothing), answers
    at once only a sure one or the records' nearest marked as only the nearest, and says back
    the rest."""
    reading, said_back = decide(proposals, NOTHING)
    if not proposals:
        assert (reading, said_back) == (NOTHING, False)
        return
    chosen = next(p for p in proposals if p.reading is reading)
    if any(p.sure for p in proposals):
        assert chosen.sure and not said_back
        ahead = ("between", "similar", "records").index(chosen.reader)
        assert not any(
            p.sure and p.reader in ("between", "similar", "records")[:ahead] for p in proposals
        )
    elif not said_back:
        assert reading.slots.get("nearest") == "unsure"
    else:
        assert chosen.reader == "similar"
