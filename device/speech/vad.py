"""Voice activity per frame with WebRTC's VAD (webrtcvad-wheels); the only module importing it."""

from __future__ import annotations

import webrtcvad

from device.speech.audio import STT_RATE

FRAME_MS = (10, 20, 30)


class Vad:
    def __init__(self, aggressiveness: int = 2, frame_ms: int = 30) -> None:
        if frame_ms not in FRAME_MS:
            raise ValueError(f"frame_ms must be one of {FRAME_MS}")
        self._vad = webrtcvad.Vad(aggressiveness)
        self.frame_ms = frame_ms

    def voiced(self, frame: bytes) -> bool:
        """``frame``: 16 kHz mono 16-bit PCM of exactly ``frame_ms``."""
        return bool(self._vad.is_speech(frame, STT_RATE))
