"""What a worker's next words say about the answer before: feedback ("fel", "bra") and repeated
questions, the pilot's proxies for answers that did or didn't land.

Pure: fed plain values, clock passed in. Only the kind of signal and the earlier answer's intent,
path and outcome leave this module; the question's slots (which client) stay in memory, for the
repeat window only.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta

# Turns that are not an answer the worker could react to.
_NOT_ANSWERS = frozenset({"feedback", "repeat", "stop"})
# Answers that are about the conversation itself, not a question that could be asked again.
_NOT_QUESTIONS = frozenset({"confirm", "deny", "choose_client", "help"})


@dataclass(frozen=True)
class Answered:
    """An answer a signal may refer to."""

    intent: str
    path: str
    outcome: str


@dataclass(frozen=True)
class Signal:
    kind: str  # "good", "bad" or "repeat" (device.telemetry.schema.Signal)
    about: Answered

    def as_dict(self) -> dict[str, str]:
        return {
            "signal": self.kind,
            "intent": self.about.intent,
            "path": self.about.path,
            "outcome": self.about.outcome,
        }


class SignalWatch:
    """Remembers the last answer and the recent questions of one session."""

    def __init__(self, repeat_window: timedelta) -> None:
        self._window = repeat_window
        self._last: Answered | None = None
        self._judged = False  # one verdict per answer: "fel, fel" is one wrong answer
        self._recent: dict[Hashable, tuple[datetime, Answered]] = {}

    @property
    def last(self) -> Answered | None:
        return self._last

    def feedback(self, verdict: str) -> Signal | None:
        """ "fel"/"bra" refers to the last answer; None when nothing was answered yet."""
        if self._last is None or self._judged or verdict not in ("good", "bad"):
            return None
        self._judged = True
        return Signal(verdict, self._last)

    def asked(
        self, intent: str, meaning: Hashable, answered: Answered, now: datetime
    ) -> Signal | None:
        """Note a turn; a repeat signal when it asks what was asked within the window, or
        when it is "upprepa" after an answer."""
        self._recent = {k: v for k, v in self._recent.items() if now - v[0] <= self._window}
        if intent == "repeat":  # the same answer again: still open to one verdict
            return Signal("repeat", self._last) if self._last is not None else None
        if intent in _NOT_ANSWERS:
            return None
        self._judged = False
        if intent in _NOT_QUESTIONS:
            self._last = answered
            return None
        earlier = self._recent.get(meaning)
        self._recent[meaning] = (now, answered)
        self._last = answered
        return Signal("repeat", earlier[1]) if earlier is not None else None
