"""One question and its answer as the device reports it (`hemassist ask --json`): the answer's
text and sources, which step read the question, and its slots as plain JSON values."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from device.answers.ask import Ask
from device.nlu.clock import ClockTime
from device.nlu.days import DaySpec
from device.nlu.recognizer import Recognition
from device.signals import Signal


@dataclass(frozen=True)
class Turn:
    """One question and its answer: what ``hemassist ask --json`` prints."""

    text: str
    language: str
    intent: str
    slots: dict[str, Any]
    answer: str
    sources: tuple[str, ...]
    gated: bool
    must_verify: bool
    outcome: str
    path: str
    timings_ms: dict[str, float] = field(default_factory=dict)
    # What this turn says about an earlier answer: "fel"/"bra" or a repeated question.
    signal: Signal | None = None

    @classmethod
    def failed(cls, text: str, language: str, answer: str) -> Turn:
        """A question that could not be answered: a short apology, nothing read."""
        return cls(text, language, "unknown", {}, answer, (), False, False, "error", "none")

    def as_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "language": self.language,
            "intent": self.intent,
            "slots": self.slots,
            "answer": self.answer,
            "sources": list(self.sources),
            "gated": self.gated,
            "must_verify": self.must_verify,
            "outcome": self.outcome,
            "path": self.path,
            "timings_ms": self.timings_ms,
            "signal": self.signal.as_dict() if self.signal else None,
        }


def ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def path_of(rec: Recognition) -> str:
    if rec.intent == "unknown":
        return "none"
    if rec.via in ("llm", "similar"):
        return rec.via
    if rec.intent == "records":
        return "records"
    return "template-fuzzy" if rec.fuzzy else "template"


def plain_slots(rec: Recognition, ask: Ask) -> dict[str, Any]:
    """Slots as JSON values: one client as its reference, clock times as HH:MM."""
    plain: dict[str, Any] = {}
    for name, value in rec.slots.items():
        if name == "about":
            continue  # the question itself, already in the turn's text
        if isinstance(value, ClockTime):
            plain[name] = value.resolve(ask.local(ask.now)).strftime("%H:%M")
        elif isinstance(value, DaySpec):
            day = value.resolve(ask.today)
            plain[name] = day.isoformat() if day else None
        elif isinstance(value, tuple):
            plain[name] = value[0] if len(value) == 1 else list(value)
        else:
            plain[name] = value
    return plain
