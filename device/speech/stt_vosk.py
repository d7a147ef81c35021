"""Vosk speech-to-text (the only module that imports vosk): a grammar of the templates' words and
the store's names first, open vocabulary as the second pass."""

from __future__ import annotations

import json
from pathlib import Path

import vosk

from device.speech.audio import STT_RATE, AudioChunk
from device.speech.stt import SttError, Transcript

BLOCK_BYTES = 8000  # 0.25 s at 16 kHz: how audio is streamed into the decoder


class VoskStt:
    name = "vosk"

    def __init__(self, model_dir: Path) -> None:
        vosk.SetLogLevel(-1)
        if not (model_dir / "am" / "final.mdl").is_file():
            raise SttError(f"{model_dir} is not a Vosk model (no am/final.mdl)")
        self.model = vosk.Model(str(model_dir))
        self._grammar: str | None = None

    def prime(self, words: list[str], names: list[str]) -> None:
        phrases = sorted({*words, *names})
        # Words the model doesn't know are dropped by Vosk with a warning; "[unk]" absorbs the rest.
        self._grammar = json.dumps([*phrases, "[unk]"], ensure_ascii=False) if phrases else None

    def recognizer(self, open_vocabulary: bool = False) -> vosk.KaldiRecognizer:
        if open_vocabulary or self._grammar is None:
            return vosk.KaldiRecognizer(self.model, STT_RATE)
        return vosk.KaldiRecognizer(self.model, STT_RATE, self._grammar)

    def transcribe(self, audio: AudioChunk, open_vocabulary: bool = False) -> Transcript:
        recognizer = self.recognizer(open_vocabulary)
        pcm = audio.to_stt().audio
        for start in range(0, len(pcm), BLOCK_BYTES):
            recognizer.AcceptWaveform(pcm[start : start + BLOCK_BYTES])
        text = json.loads(recognizer.FinalResult()).get("text", "")
        text = " ".join(w for w in str(text).split() if w != "[unk]")
        return Transcript(text, self.name, open_vocabulary or self._grammar is None)


class PhraseSpotter:
    """Listens for one wake phrase with a grammar of the phrase or anything else: "[unk]", and
    ``others`` (other words) for models that have no "[unk]"."""

    def __init__(self, stt: VoskStt, phrase: str, others: list[str] | None = None) -> None:
        self.phrase = " ".join(phrase.lower().split())
        self._others = sorted(set(others or []) - {self.phrase})
        self._stt = stt
        self._recognizer = self._new()

    def _new(self) -> vosk.KaldiRecognizer:
        grammar = json.dumps([self.phrase, "[unk]", *self._others], ensure_ascii=False)
        return vosk.KaldiRecognizer(self._stt.model, STT_RATE, grammar)

    def heard(self, chunk: AudioChunk) -> bool:
        """Feed audio; True (and a fresh start) once the phrase has been said."""
        if self._recognizer.AcceptWaveform(chunk.to_stt().audio):
            text = json.loads(self._recognizer.Result()).get("text", "")
        else:
            text = json.loads(self._recognizer.PartialResult()).get("partial", "")
        if self.phrase and self.phrase in str(text):
            self._recognizer = self._new()
            return True
        return False
