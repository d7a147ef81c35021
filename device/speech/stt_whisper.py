"""faster-whisper speech-to-text (the only module that imports faster_whisper): a CTranslate2
model directory from settings, the known names as the initial prompt."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from faster_whisper import WhisperModel

from device.speech.audio import AudioChunk
from device.speech.stt import SttError, Transcript


class WhisperStt:
    name = "whisper"

    def __init__(
        self,
        model_dir: Path,
        threads: int = 2,
        compute_type: str = "int8",
        languages: tuple[str, ...] = (),
    ) -> None:
        if not (model_dir / "model.bin").is_file():
            raise SttError(f"{model_dir} is not a CTranslate2 Whisper model (no model.bin)")
        self._model = WhisperModel(
            str(model_dir),
            device="cpu",
            compute_type=compute_type,
            cpu_threads=threads,
            local_files_only=True,
        )
        self._languages = languages
        self._prompt: str | None = None

    def prime(self, words: list[str], names: list[str]) -> None:
        capitalised = sorted({n.capitalize() for n in names if n[:1].isalpha()})
        self._prompt = ", ".join(capitalised) + "." if capitalised else None

    def transcribe(self, audio: AudioChunk, open_vocabulary: bool = False) -> Transcript:
        samples = audio.to_stt().samples().astype(np.float32) / 32768.0
        if len(samples) == 0:
            return Transcript("", self.name)
        segments, _info = self._model.transcribe(
            samples,
            language=self._language_of(samples),
            beam_size=1,
            initial_prompt=self._prompt,
            condition_on_previous_text=False,
            vad_filter=False,
            without_timestamps=True,
        )
        return Transcript(" ".join(s.text.strip() for s in segments).strip(), self.name)

    def _language_of(self, samples: np.ndarray) -> str | None:
        """The one allowed language, or the likeliest of the allowed ones (Whisper's own
        detection over all its languages would take Swedish for Norwegian now and then)."""
        if len(self._languages) <= 1:
            return self._languages[0] if self._languages else None
        _best, _p, every = self._model.detect_language(samples)
        probability = dict(every)
        return max(self._languages, key=lambda lang: probability.get(lang, 0.0))
