"""Feedback and repeated questions: the pure watch with plain values, then a conversation with
the assistant on the example bundle, then the counts in the outbox's hourly message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from device.assistant import Assistant
from device.signals import Answered, SignalWatch
from device.telemetry.events import TurnEvent
from device.telemetry.outbox import Identity, Outbox
from device.telemetry.schema import StatsMessage
from tests.conftest import MORNING

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
NEXT = Answered("next_visit", "template", "answered")
CODE = Answered("access", "template", "gated")
ANNA = ("flags", (("client", "('p-anna',)"),))
BERTIL = ("flags", (("client", "('p-bertil',)"),))
FLAGS = Answered("flags", "template", "must_verify")


def test_feedback_refers_to_the_last_answer() -> None:
    watch = SignalWatch(timedelta(minutes=2))
    assert watch.feedback("bad") is None  # nothing answered yet
    watch.asked("next_visit", ("next_visit", ()), NEXT, T0)
    bad = watch.feedback("bad")
    assert bad is not None and bad.as_dict() == {
        "signal": "bad",
        "intent": "next_visit",
        "path": "template",
        "outcome": "answered",
    }
    assert watch.feedback("bad") is None  # "fel, fel": one wrong answer
    watch.asked("flags", ANNA, FLAGS, T0)
    assert watch.feedback("maybe") is None
    good = watch.feedback("good")
    assert good is not None and good.about == FLAGS


def test_the_same_question_within_the_window_is_a_repeat() -> None:
    watch = SignalWatch(timedelta(minutes=2))
    assert watch.asked("flags", ANNA, FLAGS, T0) is None
    assert watch.asked("flags", BERTIL, FLAGS, T0 + timedelta(seconds=10)) is None  # other client
    again = watch.asked("flags", ANNA, FLAGS, T0 + timedelta(seconds=90))
    assert again is not None and again.kind == "repeat" and again.about == FLAGS
    # Three minutes after the last time it was asked: a new question, not a repeat.
    assert watch.asked("flags", ANNA, FLAGS, T0 + timedelta(minutes=5)) is None


def test_upprepa_is_a_repeat_of_the_last_answer_and_talk_is_not_a_question() -> None:
    watch = SignalWatch(timedelta(minutes=2))
    assert watch.asked("repeat", None, NEXT, T0) is None  # nothing to repeat yet
    watch.asked("access", ("access", ()), CODE, T0)
    assert watch.asked("confirm", None, Answered("access", "template", "answered"), T0) is None
    assert watch.asked("confirm", None, NEXT, T0) is None  # "ja" twice is not a repeat
    repeat = watch.asked("repeat", None, NEXT, T0)
    assert repeat is not None and repeat.about == NEXT
    assert watch.asked("stop", None, NEXT, T0) is None
    assert watch.last == NEXT


def test_a_conversation_gives_the_signals(assistant: Assistant) -> None:
    first = assistant.ask("Vem är mitt nästa besök?", now=MORNING)
    assert first.signal is None
    thanks = assistant.ask("tack", now=MORNING + timedelta(seconds=5))
    assert thanks.intent == "feedback" and thanks.answer.endswith("Tack!")
    assert thanks.signal is not None and thanks.signal.as_dict()["signal"] == "good"
    assert thanks.signal.about == Answered("next_visit", "template", "answered")
    flags = assistant.ask("Har Greta några allergier?", now=MORNING + timedelta(seconds=20))
    wrong = assistant.ask("det var fel", now=MORNING + timedelta(seconds=25))
    assert wrong.signal is not None and wrong.signal.kind == "bad"
    assert wrong.signal.about.intent == "flags" and wrong.signal.about.outcome == flags.outcome
    assert "samordnaren" in wrong.answer
    again = assistant.ask("har greta allergier", now=MORNING + timedelta(seconds=40))
    assert again.signal is not None and again.signal.kind == "repeat"
    repeat = assistant.ask("upprepa", now=MORNING + timedelta(seconds=45))
    assert repeat.answer == again.answer  # "fel" and "tack" are not answers to repeat
    assert repeat.signal is not None and repeat.signal.kind == "repeat"
    later = assistant.ask("Har Greta några allergier?", now=MORNING + timedelta(minutes=10))
    assert later.signal is None
    assert later.as_dict()["signal"] is None


def test_a_confirmed_code_is_not_a_repeat(assistant: Assistant) -> None:
    gated = assistant.ask("Vad är portkoden till Anna?", now=MORNING)
    assert gated.gated
    released = assistant.ask("ja", now=MORNING + timedelta(seconds=5), confirmed=True)
    assert released.intent == "access" and not released.gated and released.signal is None


def test_signals_are_counted_in_the_hour_without_words(tmp_path: Path) -> None:
    box = Outbox(tmp_path, Identity("dev-1", "goteborg", "majorna-2"))
    timings = {"total": 2.0}
    box.record(TurnEvent.of("flags", "sv", "template", "must_verify", timings), T0)
    bad = {"signal": "bad", "intent": "flags", "path": "template", "outcome": "must_verify"}
    box.record(TurnEvent.of("feedback", "sv", "template", "answered", timings, signal=bad), T0)
    box.record(TurnEvent.of("feedback", "sv", "template", "answered", timings, signal=bad), T0)
    odd = {"signal": "Greta Nilsson", "intent": "flags", "path": "template", "outcome": "x"}
    box.record(TurnEvent.of("unknown", "sv", "none", "unknown", timings, signal=odd), T0)
    # A signal alone in an hour is sealed too.
    repeat = {"signal": "repeat", "intent": "next_visit", "path": "llm", "outcome": "answered"}
    later = T0 + timedelta(hours=1)
    box.record(TurnEvent.of("repeat", "sv", "template", "answered", timings, signal=repeat), later)
    box.seal(T0 + timedelta(hours=3))
    first, second = (StatsMessage.model_validate_json(p) for _, _, p in box.unsent())
    assert first.schema_version == 2
    assert [(s.signal, s.intent, s.outcome, s.count) for s in first.signals] == [
        ("bad", "flags", "must_verify", 2)
    ]
    assert [(s.signal, s.path) for s in second.signals] == [("repeat", "llm")]
    assert "Greta" not in first.model_dump_json()
