"""espeak-ng text-to-speech (the Debian package's command): the fallback voice."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from device.speech.audio import AudioChunk, AudioError, parse_wav
from device.speech.tts import TtsError

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
BASE_WPM = 165


class EspeakTts:
    name = "espeak-ng"

    def __init__(self, voice: str, speed: float = 1.0, volume: float = 1.0) -> None:
        binary = shutil.which("espeak-ng")
        if binary is None:
            raise TtsError("espeak-ng is not installed (Debian package espeak-ng)")
        self._command = [
            binary,
            "-v",
            voice,
            "-s",
            str(round(BASE_WPM * speed)),
            "-a",
            str(round(100 * volume)),
        ]

    def speak(self, text: str) -> Iterator[AudioChunk]:
        for sentence in (s for s in _SENTENCE_END.split(text.strip()) if s):
            # A file, not --stdout: on a pipe espeak-ng can't fill in the WAV header's sizes.
            with tempfile.NamedTemporaryFile(suffix=".wav") as out:
                result = subprocess.run(
                    [*self._command, "-w", out.name, sentence],
                    capture_output=True,
                    timeout=30,
                    check=False,
                )
                if result.returncode != 0:
                    raise TtsError(f"espeak-ng failed (exit {result.returncode})")
                try:
                    yield parse_wav(Path(out.name).read_bytes(), "espeak-ng output")
                except AudioError as exc:
                    raise TtsError(str(exc)) from None
