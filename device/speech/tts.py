"""Text-to-speech behind one interface: Piper voices per language, espeak-ng as the fallback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from device.speech.audio import AudioChunk


class TextToSpeech(Protocol):
    name: str

    def speak(self, text: str) -> Iterator[AudioChunk]:
        """Audio sentence by sentence, so playback can start after the first one."""


class TtsError(Exception):
    """No voice can speak; the message says what to install."""


class Voices:
    """The voice for each answer language: its Piper voice when installed, else espeak-ng."""

    def __init__(self, voices: dict[str, TextToSpeech], fallback: dict[str, TextToSpeech]) -> None:
        self._voices = voices
        self._fallback = fallback

    def for_language(self, language: str) -> TextToSpeech:
        voice = self._voices.get(language) or self._fallback.get(language)
        if voice is None:
            raise TtsError(
                f"no voice for language {language!r}: install espeak-ng or a Piper voice"
            )
        return voice
