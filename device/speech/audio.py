"""Audio as values: chunks that carry their own format, WAV files in and out, and conversion to
the 16 kHz mono 16-bit PCM that speech-to-text wants. Pure numpy, no sound devices."""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

STT_RATE = 16_000
MIN_RATE, MAX_RATE = 8_000, 48_000


class AudioError(Exception):
    """Audio that can't be used; the message says what is wrong with which file."""


@dataclass(frozen=True)
class AudioChunk:
    """PCM audio with its format: ``rate`` Hz, ``width`` bytes per sample, ``channels``."""

    audio: bytes
    rate: int
    width: int = 2
    channels: int = 1

    @property
    def seconds(self) -> float:
        return len(self.audio) / (self.rate * self.width * self.channels)

    def samples(self) -> np.ndarray:
        """Mono int16 samples (channels averaged)."""
        data = np.frombuffer(self.audio, dtype=np.int16)
        if self.channels > 1:
            usable = len(data) - len(data) % self.channels
            data = data[:usable].reshape(-1, self.channels).mean(axis=1).astype(np.int16)
        return data

    def to_stt(self) -> AudioChunk:
        """16 kHz mono 16-bit, for speech-to-text."""
        if (self.rate, self.width, self.channels) == (STT_RATE, 2, 1):
            return self
        return AudioChunk(resample(self.samples(), self.rate, STT_RATE).tobytes(), STT_RATE)


def resample(samples: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Linear-interpolation resampling: plenty for speech recognition at these rates."""
    if rate_in == rate_out or len(samples) == 0:
        return samples.astype(np.int16)
    count = max(1, round(len(samples) * rate_out / rate_in))
    positions = np.linspace(0, len(samples) - 1, count)
    resampled = np.interp(positions, np.arange(len(samples)), samples.astype(np.float32))
    return np.clip(resampled, -32768, 32767).astype(np.int16)


def join(chunks: list[AudioChunk]) -> AudioChunk:
    if not chunks:
        return AudioChunk(b"", STT_RATE)
    first = chunks[0]
    if any(
        (c.rate, c.width, c.channels) != (first.rate, first.width, first.channels) for c in chunks
    ):
        chunks = [c.to_stt() for c in chunks]
        first = chunks[0]
    return AudioChunk(b"".join(c.audio for c in chunks), first.rate, first.width, first.channels)


def read_wav(path: Path, max_seconds: float = 60, max_bytes: int = 20_000_000) -> AudioChunk:
    """A 16-bit PCM WAV, 8–48 kHz, mono or stereo, at most ``max_seconds`` long and
    ``max_bytes`` big; AudioError says what is wrong otherwise.

    The file is read as a stream: its size is checked before it is opened and at most
    ``max_seconds`` of audio is ever read, so memory stays bounded whatever the file holds.
    """
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise AudioError(
                f"{path}: the file is {size / 1e6:.1f} MB, more than the limit of "
                f"{max_bytes / 1e6:.1f} MB for a question (input.max_wav_mb)"
            )
        with path.open("rb") as handle:
            head = handle.read(12)
            if not head:
                raise AudioError(f"{path}: the file is empty")
            if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
                raise AudioError(f"{path}: not a WAV file")
            handle.seek(0)
            return _read_stream(handle, str(path), max_seconds)
    except OSError as exc:
        raise AudioError(f"{path}: can't read the file ({exc.strerror})") from None


def _read_stream(handle: BinaryIO, name: str, max_seconds: float) -> AudioChunk:
    try:
        with wave.open(handle) as wav:
            rate, width, channels = wav.getframerate(), wav.getsampwidth(), wav.getnchannels()
            _check_format(name, rate, width, channels)
            limit = int(max_seconds * rate)
            # One frame past the limit tells a long file, whatever its header claims.
            audio = wav.readframes(limit + 1)
    except (wave.Error, EOFError) as exc:
        raise AudioError(f"{name}: a damaged WAV file ({exc})") from None
    if len(audio) > limit * width * channels:
        raise AudioError(
            f"{name}: longer than the {max_seconds:g} s a question may last (input.max_wav_s)"
        )
    if not audio or len(audio) % (width * channels):
        raise AudioError(f"{name}: the WAV file is truncated (no audio or cut short)")
    return AudioChunk(audio, rate, width, channels)


def _check_format(name: str, rate: int, width: int, channels: int) -> None:
    if width != 2:
        raise AudioError(f"{name}: {8 * width}-bit audio; hemassist needs 16-bit PCM")
    if not MIN_RATE <= rate <= MAX_RATE:
        raise AudioError(f"{name}: {rate} Hz; hemassist needs 8,000–48,000 Hz")
    if channels not in (1, 2):
        raise AudioError(f"{name}: {channels} channels; hemassist needs mono or stereo")


def parse_wav(raw: bytes, name: str = "audio") -> AudioChunk:
    if not raw:
        raise AudioError(f"{name}: the file is empty")
    if raw[:4] != b"RIFF" or raw[8:12] != b"WAVE":
        raise AudioError(f"{name}: not a WAV file")
    try:
        with wave.open(io.BytesIO(raw)) as wav:
            rate, width, channels = wav.getframerate(), wav.getsampwidth(), wav.getnchannels()
            frames = wav.getnframes()
            audio = wav.readframes(frames)
    except (wave.Error, EOFError) as exc:
        raise AudioError(f"{name}: a damaged WAV file ({exc})") from None
    _check_format(name, rate, width, channels)
    expected = frames * width * channels
    if len(audio) < expected or len(audio) == 0:
        raise AudioError(f"{name}: the WAV file is truncated (no audio or cut short)")
    return AudioChunk(audio, rate, width, channels)


def wav_bytes(chunk: AudioChunk) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setframerate(chunk.rate)
        wav.setsampwidth(chunk.width)
        wav.setnchannels(chunk.channels)
        wav.writeframes(chunk.audio)
    return buffer.getvalue()


def write_wav(path: Path, chunk: AudioChunk) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(wav_bytes(chunk))


def frames(chunk: AudioChunk, frame_ms: int) -> list[bytes]:
    """16 kHz mono frames of ``frame_ms`` (the last partial frame dropped)."""
    stt = chunk.to_stt()
    size = STT_RATE * frame_ms // 1000 * 2
    return [stt.audio[i : i + size] for i in range(0, len(stt.audio) - size + 1, size)]
