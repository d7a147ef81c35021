"""Microphone and speaker through sounddevice (the only module that imports it), and the stand-ins
for tests and the demo: a WAV file as the microphone, a speaker that records to WAV files."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

from device.speech.audio import STT_RATE, AudioChunk, join, read_wav, write_wav


class SoundError(Exception):
    """No usable sound device; the message tells IT what to check."""


class Microphone(Protocol):
    def chunks(self) -> Iterator[AudioChunk]:
        """Audio as it arrives, in small chunks, until the caller stops reading."""


class Speaker(Protocol):
    def play(self, chunks: Iterable[AudioChunk], stop: threading.Event) -> bool:
        """Play until done (True) or until ``stop`` is set (False)."""


def _device(value: str) -> int | str | None:
    if value == "":
        return None
    return int(value) if value.isascii() and value.isdigit() else value


class DeviceMicrophone:
    def __init__(self, device: str = "", frame_ms: int = 30) -> None:
        import sounddevice as sd

        self._sd = sd
        self._device = _device(device)
        self._block = STT_RATE * frame_ms // 1000
        try:
            sd.check_input_settings(
                device=self._device, samplerate=STT_RATE, channels=1, dtype="int16"
            )
        except Exception as exc:  # PortAudioError or ValueError: no such device
            raise SoundError(
                f"no usable microphone ({exc}); connect one or set "
                "audio.input_device (`python -m sounddevice` lists them)"
            ) from None

    def chunks(self) -> Iterator[AudioChunk]:
        arrived: queue.Queue[bytes] = queue.Queue()

        def callback(data: Any, frames: int, time: Any, status: Any) -> None:
            arrived.put(bytes(data))  # the audio thread only hands over; work happens here

        with self._sd.RawInputStream(
            samplerate=STT_RATE,
            blocksize=self._block,
            channels=1,
            dtype="int16",
            device=self._device,
            callback=callback,
        ):
            while True:
                yield AudioChunk(arrived.get(), STT_RATE)


class DeviceSpeaker:
    def __init__(self, device: str = "") -> None:
        import sounddevice as sd

        self._sd = sd
        self._device = _device(device)
        try:
            sd.check_output_settings(
                device=self._device, samplerate=22050, channels=1, dtype="int16"
            )
        except Exception as exc:
            raise SoundError(
                f"no usable speaker ({exc}); connect one or set "
                "audio.output_device (`python -m sounddevice` lists them)"
            ) from None

    def play(self, chunks: Iterable[AudioChunk], stop: threading.Event) -> bool:
        stream = None
        try:
            for chunk in chunks:
                if stop.is_set():
                    return False
                if stream is None:
                    stream = self._sd.RawOutputStream(
                        samplerate=chunk.rate,
                        channels=chunk.channels,
                        dtype="int16",
                        device=self._device,
                    )
                    stream.start()
                step = chunk.rate * chunk.width * chunk.channels // 10  # 100 ms: stop promptly
                for start in range(0, len(chunk.audio), step):
                    if stop.is_set():
                        return False
                    stream.write(chunk.audio[start : start + step])
            return not stop.is_set()
        finally:
            if stream is not None:
                stream.stop()
                stream.close()


class WavMicrophone:
    """Each ``chunks()`` call plays the next WAV file, then silence, as a microphone would."""

    def __init__(
        self,
        files: list[Path],
        frame_ms: int = 30,
        silence_s: float = 3.0,
        max_seconds: float = 60,
        max_bytes: int = 20_000_000,
    ) -> None:
        self._clips = [read_wav(f, max_seconds, max_bytes).to_stt() for f in files]
        self._frame = STT_RATE * frame_ms // 1000 * 2
        self._silence = b"\0" * int(STT_RATE * silence_s) * 2

    def chunks(self) -> Iterator[AudioChunk]:
        if not self._clips:
            return  # all files played: the microphone has ended
        audio = self._clips.pop(0).audio + self._silence
        for start in range(0, len(audio) - self._frame + 1, self._frame):
            yield AudioChunk(audio[start : start + self._frame], STT_RATE)


class RecordingSpeaker:
    """Keeps what it was asked to play; writes each answer to ``out_dir/answer-N.wav``."""

    def __init__(self, out_dir: Path | None = None) -> None:
        self.out_dir = out_dir
        self.played: list[AudioChunk] = []
        self.files: list[Path] = []

    def play(self, chunks: Iterable[AudioChunk], stop: threading.Event) -> bool:
        answer = []
        for chunk in chunks:
            if stop.is_set():
                return False
            answer.append(chunk)
        self.played.extend(answer)
        if stop.is_set():
            return False
        if self.out_dir is not None and answer:
            path = self.out_dir / f"answer-{len(self.files) + 1}.wav"
            write_wav(path, join(answer))
            self.files.append(path)
        return True
