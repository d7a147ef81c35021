"""The next visit within a part of the day, a first visit asked while its part is under way,
and a cancelled visit asked for (issue 39, 2026-12-06): each in both languages, on the bundles'
own schedules."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from device.assistant import Assistant
from device.care.fhir_import import read_bundle
from device.nlu.recognizer import Templates
from device.settings import Settings
from tests.conftest import EXAMPLE, TZ

SECOND = EXAMPLE.parent / "second-bundle.json"
NOON_HALF = datetime(2026, 11, 24, 12, 30, tzinfo=TZ)  # Anna's lunch visit began at 12:00
MARIA = datetime(2026, 11, 25, 13, 45, tzinfo=TZ)  # her 15:00 visit is cancelled, 19:00 is on


def _on(settings: Settings, templates: Templates, bundle: Path) -> Assistant:
    assistant = Assistant(settings, templates, None)
    assistant.use_care(read_bundle(bundle, 10**7).care)
    return assistant


@pytest.mark.parametrize(
    ("question", "hears", "not_heard"),
    [
        ("Vem är nästa i kväll?", "Anna Andersson", "Bertil"),
        ("Who is next tonight?", "Anna Andersson", "Bertil"),
        ("Vem är nästa på förmiddagen?", "inga fler besök", "Anna"),
        ("Who is my first visit this afternoon?", "Bertil Karlsson", "Anna"),
        ("Vem är mitt första besök på eftermiddagen?", "Bertil Karlsson", "Anna"),
    ],
)
def test_the_next_visit_within_a_part_of_the_day(
    settings: Settings, templates: Templates, question: str, hears: str, not_heard: str
) -> None:
    turn = _on(settings, templates, EXAMPLE).ask(question, now=NOON_HALF)
    assert turn.intent == "next_visit", turn.answer
    assert hears in turn.answer and not_heard not in turn.answer, turn.answer


def test_the_first_visit_of_a_part_not_begun_is_its_first(
    settings: Settings, templates: Templates
) -> None:
    morning = datetime(2026, 11, 24, 7, 30, tzinfo=TZ)
    turn = _on(settings, templates, EXAMPLE).ask(
        "Vem är mitt första besök på eftermiddagen?", now=morning
    )
    assert "Första besöket på eftermiddagen: Anna Andersson" in turn.answer, turn.answer


@pytest.mark.parametrize(
    "question",
    [
        "Är besöket hos Maria i eftermiddag inställt?",
        "Blir det något besök hos Maria i eftermiddag?",
        "Is Maria's afternoon visit still on today?",
    ],
)
def test_a_cancelled_visit_asked_for_is_said_to_be_cancelled(
    settings: Settings, templates: Templates, question: str
) -> None:
    turn = _on(settings, templates, SECOND).ask(question, now=MARIA)
    assert "Appointment/p-maria-v1" in turn.sources, turn.answer
    assert "inställt" in turn.answer or "cancelled" in turn.answer, turn.answer


def test_a_next_visit_answer_leaves_cancelled_visits_out(
    settings: Settings, templates: Templates
) -> None:
    """care-data.md: ignore cancelled visits in "what is next" answers."""
    for question in ("Vem är mitt nästa besök?", "Who is my next visit?"):
        turn = _on(settings, templates, SECOND).ask(question, now=MARIA)
        assert "Appointment/p-maria-v1" not in turn.sources, turn.answer
        assert "inställt" not in turn.answer and "cancelled" not in turn.answer, turn.answer
