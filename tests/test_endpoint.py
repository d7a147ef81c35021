"""Endpointing: the pure state machine with plain booleans, then the real VAD on silence, noise
and speech made by the real Piper voice."""

from __future__ import annotations

from typing import Any

import numpy as np

from device.speech.audio import STT_RATE, AudioChunk, join
from device.speech.endpoint import EndpointConfig, Endpointer, Phase
from device.speech.pipeline import capture
from device.speech.vad import Vad
from tests.conftest import spoken

CFG = EndpointConfig(
    frame_ms=30,
    trailing_silence_ms=300,
    max_utterance_ms=3000,
    no_speech_timeout_ms=1500,
    min_speech_ms=90,
)


def feed(pattern: str, config: EndpointConfig = CFG) -> Endpointer:
    """'s' = a voiced frame, '.' = a silent one."""
    endpointer = Endpointer(config)
    for mark in pattern:
        endpointer.feed(mark == "s")
    return endpointer


def test_speech_then_silence_ends_the_utterance() -> None:
    e = feed("....ssssssssss" + "." * 10)
    assert e.phase is Phase.done
    assert e.start_ms == 4 * 30 and e.end_ms == 14 * 30


def test_short_pauses_inside_speech_do_not_end_it() -> None:
    e = feed("sssss....sssss....sssss")
    assert e.phase is Phase.speaking


def test_a_click_does_not_start_speech() -> None:
    e = feed("s.s.s" + "." * 60)
    assert e.phase is Phase.nothing and e.start_ms is None


def test_nothing_said_times_out() -> None:
    assert feed("." * 50).phase is Phase.nothing


def test_too_long_is_cut() -> None:
    e = feed("s" * 200)
    assert e.phase is Phase.too_long and e.end_ms == 3000


def test_finished_endpointer_stays_finished() -> None:
    e = feed("ssss" + "." * 20 + "ssss")
    assert e.phase is Phase.done


def _silence(seconds: float) -> AudioChunk:
    return AudioChunk(b"\0\0" * int(STT_RATE * seconds), STT_RATE)


def _noise(seconds: float, level: int = 300) -> AudioChunk:
    rng = np.random.default_rng(1)
    samples = rng.normal(0, level, int(STT_RATE * seconds)).astype(np.int16)
    return AudioChunk(samples.tobytes(), STT_RATE)


def _chunks(audio: AudioChunk) -> list[AudioChunk]:
    step = 960  # 30 ms
    return [
        AudioChunk(audio.audio[i : i + step], STT_RATE) for i in range(0, len(audio.audio), step)
    ]


def test_vad_on_silence() -> None:
    utterance, phase = capture(_chunks(_silence(3)), Vad(2), CFG)
    assert phase is Phase.nothing and utterance.audio == b""


def test_vad_on_steady_noise() -> None:
    _, phase = capture(_chunks(_noise(3)), Vad(3), CFG)
    assert phase is Phase.nothing


def test_vad_on_speech(joe: Any) -> None:
    speech = spoken(joe, "Who is my next visit?").to_stt()
    audio = join([_silence(0.5), speech, _silence(1.0)])
    utterance, phase = capture(_chunks(audio), Vad(2), CFG)
    assert phase is Phase.done
    # The utterance holds the speech (with a little lead-in and tail), not the long silences.
    assert speech.seconds - 0.3 < utterance.seconds < speech.seconds + 1.0


def test_vad_on_speech_in_noise(joe: Any) -> None:
    speech = spoken(joe, "Does Greta have any allergies?").to_stt()
    mixed = np.clip(
        speech.samples().astype(np.int32)
        + _noise(speech.seconds, 200).samples()[: len(speech.samples())],
        -32768,
        32767,
    ).astype(np.int16)
    audio = join([_noise(0.5, 200), AudioChunk(mixed.tobytes(), STT_RATE), _silence(1.0)])
    _, phase = capture(_chunks(audio), Vad(2), CFG)
    assert phase is Phase.done
