"""Everyday questions answered from the records (tests/data/eval/everyday.jsonl: dose and timing,
the medicine round, visit kinds and parts of the day, order, other days, personal facts, a
briefing, the question's language; on the example, second and third bundles), and the rules
that hold whatever the wording: never another day's schedule, never a false "none"."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from bench.evaluation import Everyday, evaluate_everyday, judge_everyday, load_everyday
from device.assistant import Assistant
from device.care.fhir_import import parse_bundle
from device.nlu.days import DaySpec, find_day
from device.nlu.recognizer import Templates
from device.settings import Settings
from device.turn import Turn
from tests.conftest import DATA, TZ

KINDS = ("medication", "round", "visit-kind", "order", "day", "personal", "briefing", "language")
MONDAY = datetime(2026, 12, 14, 12, 0, tzinfo=TZ)


def test_the_everyday_evaluation_is_large_enough() -> None:
    cases = load_everyday()
    for kind in KINDS:
        mine = [c for c in cases if c.kind == kind]
        assert len(mine) >= 15, kind
        assert {c.lang for c in mine} == {"sv", "en"}, kind
    assert {"example", "third"} <= {c.bundle for c in cases}


def test_everyday_questions_per_kind(settings: Settings, templates: Templates) -> None:
    scores = evaluate_everyday(settings, templates)
    total = scores["all"]
    assert total.wrong_day == 0 and total.wrong_negative == 0, total.wrong_examples
    assert total.row()["wrong"] <= 0.01, total.wrong_examples
    for kind in KINDS:
        assert scores[kind].row()["right"] >= 0.9, (kind, scores[kind].row())


@pytest.mark.parametrize(
    ("text", "rest", "day"),
    [
        ("vilka besök har jag i morgon", "vilka besök har jag", date(2026, 12, 15)),
        ("vad har jag imorgon", "vad har jag", date(2026, 12, 15)),
        ("vad har jag i morgon bitti", "vad har jag på morgonen", date(2026, 12, 15)),
        # Before a word starting with s ("ska", "sen") it had been missed: today's answer.
        ("i morgon ska jag till bertil", "ska jag till bertil", date(2026, 12, 15)),
        ("vem har jag i morgon sen", "vem har jag sen", date(2026, 12, 15)),
        ("vad har jag i övermorgon", "vad har jag", date(2026, 12, 16)),
        ("vilka besök hade jag i går", "vilka besök har jag", date(2026, 12, 13)),
        ("vem har jag på fredag", "vem har jag", date(2026, 12, 18)),
        ("vem har jag på måndag", "vem har jag", date(2026, 12, 14)),  # today is Monday
        ("vad har jag nästa måndag", "vad har jag", date(2026, 12, 21)),
        ("vad gjorde jag i fredags", "vad gjorde jag", date(2026, 12, 11)),
        ("hur ser min tisdag ut", "hur ser min dag ut", date(2026, 12, 15)),
        ("vem har jag den 15 december", "vem har jag", date(2026, 12, 15)),
        ("what do i have tomorrow", "what do i have", date(2026, 12, 15)),
        ("what does my friday look like", "what does my day look like", date(2026, 12, 18)),
        ("who did i have yesterday", "who do i have", date(2026, 12, 13)),
        ("what is on the 2nd of january", "what is", date(2027, 1, 2)),
    ],
)
def test_which_day(text: str, rest: str, day: date) -> None:
    stripped, spec = find_day(text)
    assert stripped == rest
    assert spec is not None and spec.resolve(MONDAY.date()) == day


@pytest.mark.parametrize(
    "text",
    ["vad har jag på morgonen", "vad har jag i morse", "vad har jag i morgonen", "vem är nästa"],
)
def test_this_morning_is_not_tomorrow(text: str) -> None:
    assert find_day(text) == (text, None)


def test_a_day_that_does_not_exist() -> None:
    assert DaySpec(month=2, day_of_month=31).resolve(date(2026, 12, 14)) is None


def _third(settings: Settings, templates: Templates) -> Assistant:
    assistant = Assistant(settings.model_copy(update={"worker": "w-omar"}), templates, None)
    assistant.use_care(parse_bundle((DATA / "third-bundle.json").read_bytes()).care)
    return assistant


@pytest.mark.parametrize(
    "question",
    [
        "Vilka besök har jag i morgon?",
        "Vem har jag på tisdag?",
        "Vad har jag i övermorgon?",
        "Vilka besök hade jag i går?",
        "Hur många besök har jag i morgon?",
        "What do I have tomorrow?",
        "Who did I have yesterday?",
    ],
)
def test_another_days_question_never_gets_todays_visits(
    settings: Settings, templates: Templates, question: str
) -> None:
    turn = _third(settings, templates).ask(question, now=MONDAY)
    assert not any(
        s.startswith("Appointment/") and s.endswith(("-v1", "-v2")) for s in turn.sources
    )
    if "går" in question or "yesterday" in question or "övermorgon" in question:
        assert (turn.outcome == "no_data" and "finns inte på enheten" in turn.answer) or (
            "not on this device" in turn.answer
        )


# Every topic with a "none" phrase: said only after every record was read, and a sentence about
# the topic anywhere is quoted instead.
@pytest.mark.parametrize(
    ("question", "quoted"),
    [
        ("Har Märta några husdjur?", "fåglarna"),  # "Har inga husdjur men matar fåglarna" is read
        ("Har Kjell några husdjur?", "undulat"),  # a pet only in the plan's notes
        ("Har Siv någon katt?", "Sigge"),
        ("Does Kjell have any pets?", "undulat"),
        ("Har Leila några hjälpmedel?", "rollatorn"),  # in a routine, not a flag
    ],
)
def test_a_topic_written_in_the_notes_is_quoted_not_denied(
    settings: Settings, templates: Templates, question: str, quoted: str
) -> None:
    turn = _third(settings, templates).ask(question, now=MONDAY)
    assert quoted.casefold() in turn.answer.casefold()
    assert any(s.startswith("CarePlan/") for s in turn.sources)
    assert (
        "inga husdjur registrerade" not in turn.answer and "No pets are recorded" not in turn.answer
    )


@pytest.mark.parametrize(
    ("question", "says"),
    [
        ("Har Leila några allergier?", "hittar inget om allergier"),
        ("Har Leila några risker?", "hittar inga risker"),
        ("Har Leila några husdjur?", "hittar inget om husdjur"),
        ("Har Leila någon sjukdom?", "hittar inga sjukdomar"),
        ("Har Leila några flaggor?", "hittar inget särskilt"),
        ("Does Leila have any allergies?", "don't find anything about allergies"),
        ("Does Leila have any pets?", "don't find anything about pets"),
    ],
)
def test_a_negative_names_what_was_read(
    settings: Settings, templates: Templates, question: str, says: str
) -> None:
    turn = _third(settings, templates).ask(question, now=MONDAY)
    assert says in turn.answer
    # Every record of hers that could hold it was read, and is cited.
    assert {"CarePlan/t-leila-plan", "MedicationRequest/t-leila-med1"} <= set(turn.sources)


def _turn(gated: bool, sources: tuple[str, ...] = ("Patient/p-anna",)) -> Turn:
    return Turn("q", "sv", "access", {}, "Tryck på knappen …", sources, gated, False, "gated", "t")


def test_the_door_code_gate_is_right_where_it_is_wanted_and_honest_elsewhere() -> None:
    """A held-out set may expect the confirmation prompt (care-data.md) as the right outcome;
    elsewhere the gate says no code and asks first, so it is an honest miss, not wrong."""
    gate = Everyday("example", "access", "sv", "portkoden till anna", MONDAY, gate=True)
    assert judge_everyday(gate, _turn(gated=True))[0] == "right"
    assert judge_everyday(gate, _turn(gated=False))[0] != "right"
    plain = Everyday("example", "x", "sv", "q", MONDAY, expect_any=(("Anna",),))
    assert judge_everyday(plain, _turn(gated=True))[0] == "miss"
    other = Everyday("example", "x", "sv", "q", MONDAY, forbid_sources=("Patient/p-anna",))
    assert judge_everyday(other, _turn(gated=True))[0] == "wrong"


def test_an_hour_said_in_words_is_judged_as_the_hour_in_digits() -> None:
    """The judge reads "klockan fyra" as 4 or 16 (a twelve-hour clock, as Swedish is spoken) and
    "three o'clock" as 3; minutes and other numbers are left as they are."""
    from bench.evaluation import with_hours

    assert {"4", "16"} <= set(with_hours("besöket börjar klockan fyra.").split())
    assert "12" in with_hours("anna andersson, klockan tolv, lunch.").split()
    assert "24" not in with_hours("klockan tolv").split()
    assert "3 o'clock" in with_hours("at three o'clock")
    assert set(with_hours("halv åtta").split()) == {"halv", "åtta"}
