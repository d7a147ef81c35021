"""Endpointing: when did the worker start and stop speaking? A pure state machine over per-frame
voice decisions, so it is tested with plain booleans; the VAD itself is an adapter (vad.py)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Phase(Enum):
    waiting = "waiting"  # nothing said yet
    speaking = "speaking"
    done = "done"  # speech followed by enough silence
    too_long = "too_long"  # the maximum utterance length was reached
    nothing = "nothing"  # no speech before the timeout


@dataclass(frozen=True)
class EndpointConfig:
    frame_ms: int = 30
    trailing_silence_ms: int = 600
    max_utterance_ms: int = 10_000
    no_speech_timeout_ms: int = 5_000
    min_speech_ms: int = 150  # shorter bursts (a click, a cough) don't start an utterance


class Endpointer:
    def __init__(self, config: EndpointConfig) -> None:
        self.config = config
        self.phase = Phase.waiting
        self.elapsed_ms = 0
        self.speech_ms = 0
        self._run_ms = 0  # consecutive voiced time while waiting
        self._silence_ms = 0
        self.start_ms: int | None = None
        self.end_ms: int | None = None

    @property
    def finished(self) -> bool:
        return self.phase in (Phase.done, Phase.too_long, Phase.nothing)

    def feed(self, voiced: bool) -> Phase:
        """One frame's voice decision; returns the phase after it."""
        if self.finished:
            return self.phase
        cfg = self.config
        self.elapsed_ms += cfg.frame_ms
        if self.phase is Phase.waiting:
            self._run_ms = self._run_ms + cfg.frame_ms if voiced else 0
            if self._run_ms >= cfg.min_speech_ms:
                self.phase = Phase.speaking
                self.start_ms = self.elapsed_ms - self._run_ms
                self.speech_ms = self._run_ms
            elif self.elapsed_ms >= cfg.no_speech_timeout_ms:
                self.phase = Phase.nothing
            return self.phase
        self.speech_ms += cfg.frame_ms
        self._silence_ms = 0 if voiced else self._silence_ms + cfg.frame_ms
        if self._silence_ms >= cfg.trailing_silence_ms:
            self.phase = Phase.done
            self.end_ms = self.elapsed_ms - self._silence_ms
        elif self.speech_ms >= cfg.max_utterance_ms:
            self.phase = Phase.too_long
            self.end_ms = self.elapsed_ms
        return self.phase
