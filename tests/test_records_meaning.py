"""The records searched by meaning (issue 39): the pure choice of the nearest sentences, the
handler reading what was chosen, and the reader in the assistant with the real encoder."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench import heldout
from device.answers.ask import Ask
from device.answers.careplan import records
from device.answers.records import _NAMING as _NAMING_WORDS
from device.answers.records import NEAR_OFFERED, Hit, client_sentences, gives_name, nearest
from device.assistant import Assistant
from device.care.fhir_import import parse_bundle
from device.nlu.recognizer import Recognition, Templates
from device.nlu.similar_reader import SimilarReader
from device.settings import Settings, SimilarSettings
from tests.conftest import EXAMPLE, MORNING, TZ

CARE = parse_bundle(Path(EXAMPLE).read_bytes()).care


def test_a_clear_best_is_the_answer_a_close_one_is_offered_a_far_one_is_nothing() -> None:
    assert nearest([0.80, 0.86, 0.81], floor=0.82, sure=0.81, margin=0.035) == ([1], True)
    assert nearest([0.85, 0.86, 0.70], floor=0.82, sure=0.81, margin=0.035) == ([1, 0], False)
    assert nearest([0.79, 0.86, 0.70], floor=0.82, sure=0.81, margin=0.07) == ([1], False)
    assert nearest([0.80, 0.81], floor=0.82, sure=0.81, margin=0.035) == ([], False)
    assert nearest([], floor=0.82, sure=0.81, margin=0.035) == ([], False)


@given(
    st.lists(st.floats(0, 1), max_size=12),
    st.floats(0, 1),
    st.floats(0, 1),
    st.floats(0, 0.2),
)
def test_the_choice_is_bounded_and_never_answers_a_close_call(
    scores: list[float], floor: float, sure: float, margin: float
) -> None:
    chosen, answered = nearest(scores, floor, sure, margin)
    assert len(chosen) <= 2 and len(set(chosen)) == len(chosen)
    assert all(0 <= i < len(scores) for i in chosen)
    if chosen:
        best = max(scores)
        assert scores[chosen[0]] == best
        assert all(scores[i] >= best - NEAR_OFFERED for i in chosen)
    if answered:
        others = sorted(scores, reverse=True)[1:]
        assert chosen and scores[chosen[0]] >= sure
        assert not others or scores[chosen[0]] - others[0] >= margin
    elif chosen:
        assert max(scores) >= floor


def _reading(found: tuple[str, ...], nearest_: str) -> Recognition:
    slots = {"client": ("Patient/p-bertil",), "about": "?", "found": found, "nearest": nearest_}
    return Recognition("records", "sv", slots)


def test_the_handler_reads_what_was_chosen_and_says_when_it_is_only_the_nearest() -> None:
    ask = Ask(care=CARE, now=MORNING, tz=TZ, lang="sv")
    recorded = client_sentences(CARE.client("Patient/p-bertil"), CARE)  # type: ignore[arg-type]
    hearing = next(i for i, h in enumerate(recorded) if "öra" in h.text)
    sure = records(ask, _reading((str(hearing),), "sure"))
    assert sure.text.startswith("I anteckningarna om Bertil Karlsson står det: Hör dåligt")
    assert sure.outcome != "clarify" and recorded[hearing].ref in sure.sources
    near = records(ask, _reading((str(hearing), "0"), "unsure"))
    assert near.text.startswith("Jag hittar inget säkert svar på det.")
    assert near.outcome == "clarify" and recorded[hearing].ref in near.sources
    assert records(ask, _reading(("999", "x"), "sure")).outcome == "unknown"  # never an index error


@pytest.mark.parametrize(
    ("question", "answered"),
    [
        ("Vad heter Bertils hund?", False),  # "Hund i lägenheten, snäll": no name in it
        ("What is the name of Bertil's dog?", False),
        ("Har Bertil hund?", True),
    ],
)
def test_a_name_asked_is_not_answered_by_a_sentence_that_gives_none(
    question: str, answered: bool
) -> None:
    """round11 (2026-12-07): the dog's record was read as the answer to its name."""
    ask = Ask(care=CARE, now=MORNING, tz=TZ, lang="sv")
    slots = {"client": ("Patient/p-bertil",), "about": question}
    reply = records(ask, Recognition("records", "sv", slots))
    assert "Hund i lägenheten" in reply.text
    assert (reply.outcome != "clarify") is answered


LOWER = st.text(st.characters(categories=["L", "Zs"]), max_size=60).map(str.lower)


@given(sentence=LOWER.filter(lambda t: not any(c.isupper() for c in t)))
def test_property_a_sentence_without_a_capital_or_naming_word_gives_no_name(sentence: str) -> None:
    hit = Hit(sentence, "Flag/x", "flag")
    assert gives_name(hit) is bool(_NAMING_WORDS.search(hit.text))


@pytest.mark.parametrize(
    ("question", "heard"),
    [
        ("Can Bertil hear well?", "Hör dåligt"),
        ("does bertil hear ok", "Hör dåligt"),
    ],
)
def test_an_english_question_finds_the_swedish_record(
    assistant: Assistant, question: str, heard: str
) -> None:
    """round11 (2026-12-07): English words for what a Swedish record says, and the words around
    them that say nothing ("well", "ok", "before") not required of the sentence."""
    turn = assistant.ask(question, now=MORNING)
    assert turn.intent == "records" and heard in turn.answer, turn.answer


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> SimilarReader:
    return SimilarReader(SimilarSettings(), wait=True, cache=tmp_path_factory.mktemp("s") / "v.npz")


# Wrong before the records were searched by meaning too, by another path (2026-12-05): "sprutan"
# (an insulin syringe) found by its words in a breakfast routine. (A birthday and a TV programme,
# once read by the similar reader as the visit's time and the briefing, are said back now.)
DEV_KNOWN_WRONG = {"Hur mycket ska Karin ha i sprutan innan hon äter på morgonen?"}


def test_the_development_set_gains_and_nothing_new_is_wrong(
    settings: Settings, templates: Templates, reader: SimilarReader
) -> None:
    """records_dev.jsonl, on which the thresholds were chosen: a regression guard, not a
    measure (round3 in test_plan.py is the held-out one)."""
    scores = heldout.round3(settings, templates, reader, "records_dev.jsonl")
    wrong = {
        k.split(" → ")[0].removeprefix("wrong: ") for k in scores["all"] if k.startswith("wrong:")
    }
    assert wrong <= DEV_KNOWN_WRONG, wrong - DEV_KNOWN_WRONG
    assert scores["records-meaning"]["right"] >= 13  # measured 15-16 (6 before)


def test_a_question_in_other_words_finds_the_record(
    settings: Settings, templates: Templates, reader: SimilarReader
) -> None:
    assistant = Assistant(settings, templates, None, similar=reader)
    assistant.use_care(CARE)
    turn = assistant.ask(
        "Hur är det med Bertils hörsel, vilken sida ska jag prata på?", now=MORNING
    )
    assert turn.intent == "records" and "CarePlan/p-bertil-plan" in turn.sources
    assert "vänster öra" in turn.answer


def test_a_likeness_of_spelling_is_offered_not_answered(
    settings: Settings, templates: Templates, reader: SimilarReader
) -> None:
    """ "Har Leila några barn?" had been answered with "Arbetade som barnmorska i Teheran": a
    word no record holds ("barn"), found only as the start of a recorded word."""
    third = parse_bundle((Path(EXAMPLE).parent / "third-bundle.json").read_bytes()).care
    assistant = Assistant(settings, templates, None, similar=reader)
    assistant.use_care(third)
    turn = assistant.ask("har leila några barn", now=MORNING.replace(year=2026, month=12, day=14))
    assert turn.outcome in ("unknown", "clarify", "ambiguous", "no_data"), turn.answer


def test_what_happened_is_never_answered_from_the_plan(
    settings: Settings, templates: Templates, reader: SimilarReader
) -> None:
    """ "Vad hade Kjell för blodsocker i morse?" had been answered with his routine "Mät
    blodsockret före frukost": the records hold plans, not what was measured."""
    third = parse_bundle((Path(EXAMPLE).parent / "third-bundle.json").read_bytes()).care
    assistant = Assistant(settings, templates, None, similar=reader)
    assistant.use_care(third)
    now = MORNING.replace(year=2026, month=12, day=14, hour=8, minute=30)
    for question in (
        "vad hade kjell för blodsocker i morse",
        "What was Kjell's blood sugar this morning?",
    ):
        turn = assistant.ask(question, now=now)
        assert turn.outcome in ("unknown", "clarify", "ambiguous", "no_data"), turn.answer
    plan = assistant.ask("vad ska jag mäta hos kjell", now=now)  # the plan itself still is,
    # marked must-verify: measuring blood sugar is a delegated health task (care-data.md)
    assert plan.outcome == "must_verify" and "blodsockret" in plan.answer
