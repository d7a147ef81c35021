"""Audio values and WAV files: good ones converted, bad ones refused with a clear message."""

from __future__ import annotations

import io
import struct
import wave
from pathlib import Path

import numpy as np
import pytest

from device.cli import main
from device.speech.audio import STT_RATE, AudioChunk, AudioError, parse_wav, read_wav, wav_bytes


def _wav(rate: int = 16000, channels: int = 1, width: int = 2, seconds: float = 0.5) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setframerate(rate)
        out.setnchannels(channels)
        out.setsampwidth(width)
        out.writeframes(b"\x01\x00" * int(rate * seconds) * channels * (width // 2 or 1))
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("raw", "mention"),
    [
        (b"", "empty"),
        (b"hello, this is text, not sound" * 4, "not a WAV"),
        (_wav()[:60], "truncated"),
        (_wav(width=1), "8-bit"),
        (_wav(rate=96000), "96000 Hz"),
        (_wav()[:44] + b"", "truncated"),
    ],
    ids=["empty", "not a wav", "truncated", "8-bit", "96 kHz", "header only"],
)
def test_bad_wav(raw: bytes, mention: str) -> None:
    with pytest.raises(AudioError, match=mention):
        parse_wav(raw, "question.wav")


def test_48k_stereo_is_converted_to_16k_mono() -> None:
    chunk = parse_wav(_wav(rate=48000, channels=2, seconds=1.0))
    assert (chunk.rate, chunk.channels) == (48000, 2)
    stt = chunk.to_stt()
    assert (stt.rate, stt.channels, stt.width) == (STT_RATE, 1, 2)
    assert abs(stt.seconds - 1.0) < 0.01


def test_8k_mono_is_upsampled() -> None:
    stt = parse_wav(_wav(rate=8000, seconds=2.0)).to_stt()
    assert abs(stt.seconds - 2.0) < 0.01


def test_resampling_keeps_a_tone() -> None:
    rate = 22050
    t = np.arange(rate) / rate
    tone = (np.sin(2 * np.pi * 440 * t) * 10000).astype(np.int16)
    stt = AudioChunk(tone.tobytes(), rate).to_stt().samples().astype(np.float32)
    spectrum = np.abs(np.fft.rfft(stt))
    assert abs(np.argmax(spectrum) * STT_RATE / len(stt) - 440) < 5


def test_round_trip(tmp_path: Path) -> None:
    chunk = AudioChunk(struct.pack("<4h", 1, -1, 300, -300), 22050)
    path = tmp_path / "x.wav"
    path.write_bytes(wav_bytes(chunk))
    assert read_wav(path) == chunk


def test_ask_wav_with_a_bad_file_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "question.wav"
    bad.write_bytes(_wav(width=1))
    assert main(["ask", "--wav", str(bad)]) == 1
    assert "8-bit" in capsys.readouterr().err
    text = tmp_path / "notes.txt"
    text.write_text("Greta Nilsson har portkod 1990")
    assert main(["ask", "--wav", str(text)]) == 1
    err = capsys.readouterr().err
    assert "not a WAV" in err and "1990" not in err
