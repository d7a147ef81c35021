"""Speech-to-text behind one interface, and the names the engines are primed with.

Engines are adapters (stt_vosk.py, stt_whisper.py), each the only importer of its library, made
by ``make_stt`` from settings. Models come only from local paths (see device.models). What they
may hear comes from one place, the templates and this snapshot's names (device/nlu/recognizer.py):
Vosk gets their words as its grammar, Whisper chooses among their sentences.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from device.care.model import CareData
from device.nlu.names import genitive
from device.nlu.text import normalize
from device.speech.audio import AudioChunk


@dataclass(frozen=True)
class Transcript:
    """What was heard. With closed-domain recognition ``text`` is the chosen template sentence
    (``candidate``) or else the free transcript (``free_text``); ``decision`` says which and why."""

    text: str
    engine: str
    open_vocabulary: bool = True
    free_text: str | None = None
    candidate: str | None = None
    decision: str | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)
    scores: dict[str, float | None] = field(default_factory=dict)  # what the decision rested on
    unsure: bool = False  # ``candidate`` is to be said back for a yes or no, not answered
    other: str | None = None  # with ``unsure``: ask which of ``candidate`` and this she meant
    language: str | None = None  # the language heard, when the engine tells
    within_text: str | None = None  # written with the templates' words only (closed domain)


class SpeechToText(Protocol):
    name: str

    def prime(self, words: list[str], names: list[str]) -> None:
        """The words the questions use and the people's names, to recognise them better."""

    def transcribe(self, audio: AudioChunk, open_vocabulary: bool = False) -> Transcript:
        """Text of 16 kHz mono speech (``audio`` is converted when it isn't)."""


class SttError(Exception):
    """A speech-to-text engine can't be used; the message says what to install or set."""


def care_names(care: CareData) -> list[str]:
    """Clients' names as spoken (with genitives), relatives' relations, the staff's names."""
    names: set[str] = set()
    for client in care.clients:
        for name in (client.given, client.family, *client.nicknames):
            names.update({normalize(name), genitive(normalize(name))})
    for relative in care.relatives:
        names.add(normalize(relative.relation))
    for person in care.practitioners:
        names.update({normalize(person.given), normalize(person.family)})
    return sorted(n for n in names if n)


def told_apart(found: Mapping[str, float], allowed: Sequence[str], odds: float) -> str:
    """The language heard: the first of ``allowed`` (the device's), unless another is ``odds``
    times likelier by ``found`` (the recogniser's probability of each; missing ones are 0)."""
    first, *others = allowed
    best = max(others, key=lambda lang: found.get(lang, 0.0), default=first)
    return best if found.get(best, 0.0) > odds * found.get(first, 0.0) else first
