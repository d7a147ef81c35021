"""Piper text-to-speech (the only module that imports piper)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from piper import PiperVoice, SynthesisConfig

from device.speech.audio import AudioChunk
from device.speech.tts import TtsError


class PiperTts:
    name = "piper"

    def __init__(
        self, model_dir: Path, speed: float = 1.0, volume: float = 1.0, variation: bool = True
    ) -> None:
        onnx = model_dir / "voice.onnx"
        if not onnx.is_file() or not (model_dir / "voice.onnx.json").is_file():
            raise TtsError(f"{model_dir} is not a Piper voice (voice.onnx and voice.onnx.json)")
        self._voice = PiperVoice.load(str(onnx), config_path=str(model_dir / "voice.onnx.json"))
        # Slower speech (speed < 1) helps staff with Swedish as a second language.
        # Piper samples noise, so the same text sounds slightly different each time; without
        # variation the voice is repeatable (tests and benchmarks need the same audio every run).
        quiet = None if variation else 0.0
        self._config = SynthesisConfig(
            length_scale=1.0 / speed, volume=volume, noise_scale=quiet, noise_w_scale=quiet
        )

    def speak(self, text: str) -> Iterator[AudioChunk]:
        for chunk in self._voice.synthesize(text, self._config):  # one chunk per sentence
            yield AudioChunk(
                chunk.audio_int16_bytes,
                chunk.sample_rate,
                chunk.sample_width,
                chunk.sample_channels,
            )
