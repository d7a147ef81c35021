"""The live loop on the device: wait for the button, listen until the worker stops speaking,
answer aloud. A press during an answer stops it; "upprepa" repeats the last answer; a long
press says the last answer was wrong ("fel").

A supervised loop: an error in one turn is logged (without care data), said to the worker in
plain words, and the loop goes on.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import datetime

from device.answers.phrases import say
from device.speech.audio import AudioChunk
from device.speech.endpoint import EndpointConfig, Phase
from device.speech.pipeline import VoicePipeline, VoiceTurn, capture
from device.speech.sound import Microphone, Speaker
from device.speech.trigger import Trigger
from device.speech.vad import Vad
from device.turn import Turn

log = logging.getLogger("hemassist.live")


def run_loop(
    pipeline: VoicePipeline,
    mic: Microphone,
    speaker: Speaker,
    trigger: Trigger,
    vad: Vad,
    endpoint: EndpointConfig,
    language: str = "sv",
    on_turn: Callable[[VoiceTurn], None] = lambda turn: None,
    now: Callable[[], datetime | None] = lambda: None,
    announce: Callable[[str], None] = lambda text: None,
    on_verdict: Callable[[Turn], None] = lambda turn: None,
) -> int:
    """Serve questions until the trigger says quit; returns the number of turns answered."""
    answered = 0
    announce("Tryck och tala. / Press and speak.")
    while (event := trigger.next()) in ("press", "hold"):
        try:
            if event == "hold":  # a long press: "fel" about the last answer
                verdict = pipeline.assistant.verdict("bad", now=now())
                _speak(pipeline, speaker, trigger, verdict.answer, verdict.language)
                on_verdict(verdict)
                continue
            utterance, phase = capture(mic.chunks(), vad, endpoint)
            if phase is Phase.nothing or not utterance.audio:
                _speak(pipeline, speaker, trigger, say(language, "heard_nothing"), language)
                continue
            stop = threading.Event()

            def play(chunks: Iterable[AudioChunk], stop: threading.Event = stop) -> None:
                speaker.play(_interruptible(chunks, trigger, stop), stop)

            # After "Tryck på knappen för att bekräfta" this press is the button: its "ja"
            # releases the code (with access_confirmation "button", a "ja" alone never does).
            pressed = pipeline.assistant.awaits_code(now())
            # "upprepa": the assistant answers with its last answer, spoken again.
            turn = pipeline.turn(utterance, now=now(), confirmed=pressed, play=play)
            answered += 1
            on_turn(turn)
        except Exception as exc:  # supervised: one bad turn doesn't end the service
            log.error("a turn failed: %s", type(exc).__name__)
            _speak(pipeline, speaker, trigger, say(language, "unknown"), language)
    return answered


def _interruptible(
    chunks: Iterable[AudioChunk], trigger: Trigger, stop: threading.Event
) -> Iterable[AudioChunk]:
    for chunk in chunks:
        if trigger.pending_press():
            stop.set()
            return
        yield chunk


def _speak(
    pipeline: VoicePipeline, speaker: Speaker, trigger: Trigger, text: str, language: str
) -> None:
    try:
        speaker.play(pipeline.voices.for_language(language).speak(text), threading.Event())
    except Exception as exc:
        log.error("could not speak: %s", type(exc).__name__)
