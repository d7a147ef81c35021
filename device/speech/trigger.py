"""What starts a question: push-to-talk by a key or a GPIO button, a scripted list of presses
for tests and the demo, or (off by default) a wake phrase spotted locally with Vosk.

A trigger is a queue of events, filled by its own thread, so a press during an answer can stop it.
A long press ("hold") is the worker's "fel": the last answer was wrong (counted, never the words).
"""

from __future__ import annotations

import queue
import sys
import threading
from collections.abc import Sequence
from typing import Any, Literal, TextIO

Event = Literal["press", "hold", "quit"]


class Trigger:
    def __init__(self) -> None:
        self.events: queue.Queue[Event] = queue.Queue()

    def next(self, timeout: float | None = None) -> Event | None:
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            return None

    def pending_press(self) -> bool:
        """A press arrived (for example during an answer); consumes it."""
        try:
            event = self.events.get_nowait()
        except queue.Empty:
            return False
        if event in ("quit", "hold"):
            self.events.put(event)  # kept for after the answer
        return event == "press"


class KeyTrigger(Trigger):
    """Enter = push to talk (or stop an answer); f then Enter = a long press ("fel");
    q then Enter = quit."""

    def __init__(self, stream: TextIO = sys.stdin) -> None:
        super().__init__()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: TextIO) -> None:
        for line in stream:
            word = line.strip().lower()
            event: Event = "press"
            if word in ("q", "quit", "avsluta"):
                event = "quit"
            elif word in ("f", "fel", "wrong"):
                event = "hold"
            self.events.put(event)
        self.events.put("quit")


class GpioTrigger(Trigger):
    """A button on a Raspberry Pi's GPIO pin (gpiozero, imported only here and only when used).

    A short press starts a question when the button is let go; held for ``hold_s`` it is a long
    press ("fel") instead, so the two never both happen."""

    def __init__(self, pin: int, hold_s: float = 1.5) -> None:
        super().__init__()
        try:
            from gpiozero import Button
        except ImportError:
            raise RuntimeError(
                "gpiozero is not installed: pip install gpiozero (on the Pi)"
            ) from None
        self._button = Button(pin, hold_time=hold_s)
        self._held = False
        self._button.when_held = self._on_held
        self._button.when_released = self._on_released

    def _on_held(self) -> None:
        self._held = True
        self.events.put("hold")

    def _on_released(self) -> None:
        if not self._held:
            self.events.put("press")
        self._held = False


class ScriptedTrigger(Trigger):
    """``presses`` presses (or the ``script`` of events), then quit: drives the live loop from
    WAV files."""

    def __init__(self, presses: int, script: Sequence[Event] = ()) -> None:
        super().__init__()
        for event in script or ["press"] * presses:
            self.events.put(event)
        self.events.put("quit")

    def pending_press(self) -> bool:
        return False  # scripted presses each start a question; none stops an answer


class WakeTrigger(Trigger):
    """A press whenever the wake phrase is heard on the microphone (spotted locally)."""

    def __init__(self, mic: Any, spotter: Any) -> None:
        super().__init__()
        self._mic, self._spotter = mic, spotter

    def next(self, timeout: float | None = None) -> Event | None:
        while True:
            heard_anything = False
            for chunk in self._mic.chunks():  # a device microphone never ends
                heard_anything = True
                if self._spotter.heard(chunk):
                    return "press"
            if not heard_anything:
                return "quit"  # WAV files as the microphone, all played

    def pending_press(self) -> bool:
        return False  # a phrase can't be heard over the answer: stop it with the button
