"""A turn's usage event: only fixed enumerations and timings, derived from the answered turn."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from device.telemetry.schema import (
    LATENCY_BINS_MS,
    AnswerPath,
    Intent,
    Language,
    Outcome,
    Signal,
    SpeechEngine,
    Stage,
)


@dataclass(frozen=True)
class SignalEvent:
    """A worker's reaction (signal) to an earlier answer of this intent, path and outcome."""

    signal: Signal
    intent: Intent
    path: AnswerPath
    outcome: Outcome


@dataclass(frozen=True)
class TurnEvent:
    intent: Intent
    language: Language
    path: AnswerPath
    outcome: Outcome
    engine: SpeechEngine = SpeechEngine.text
    latencies_ms: Mapping[Stage, float] = field(default_factory=dict)
    signal: SignalEvent | None = None

    @staticmethod
    def of(
        intent: str,
        language: str,
        path: str,
        outcome: str,
        timings_ms: Mapping[str, float],
        engine: str = "text",
        signal: Mapping[str, str] | None = None,
    ) -> TurnEvent:
        """From a turn's plain values; anything outside the enumerations is mapped, never copied."""
        return TurnEvent(
            intent=_member(Intent, intent, Intent.unknown),
            language=_member(Language, language, Language.sv),
            path=_member(AnswerPath, path, AnswerPath.none),
            outcome=_member(Outcome, outcome, Outcome.error),
            engine=_member(SpeechEngine, engine, SpeechEngine.text),
            latencies_ms={
                Stage(stage): float(ms) for stage, ms in timings_ms.items() if stage in _STAGES
            },
            signal=_signal(signal) if signal else None,
        )


def _signal(plain: Mapping[str, str]) -> SignalEvent | None:
    try:
        kind = Signal(plain.get("signal", ""))
    except ValueError:
        return None  # not a signal the schema knows: dropped, never copied
    return SignalEvent(
        signal=kind,
        intent=_member(Intent, plain.get("intent", ""), Intent.unknown),
        path=_member(AnswerPath, plain.get("path", ""), AnswerPath.none),
        outcome=_member(Outcome, plain.get("outcome", ""), Outcome.error),
    )


E = TypeVar("E", Intent, Language, AnswerPath, Outcome, SpeechEngine)


def _member(enum: type[E], value: str, default: E) -> E:
    try:
        return enum(value)
    except ValueError:
        return default


_STAGES = frozenset(s.value for s in Stage)


def latency_bin(ms: float) -> int:
    """Index of the histogram bin for ``ms`` (the last bin holds everything slower)."""
    return bisect_left(LATENCY_BINS_MS, ms)
