"""The live loop with a WAV file as the microphone and a recording speaker: push to talk,
answer aloud, a press stops an answer, "repeat" repeats it; no sound device is a clear error."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from device.assistant import Assistant
from device.cli import main
from device.settings import SpeechSettings
from device.speech.audio import AudioChunk, write_wav
from device.speech.endpoint import EndpointConfig
from device.speech.factory import whisper_examples
from device.speech.live import run_loop
from device.speech.pipeline import VoicePipeline
from device.speech.sound import RecordingSpeaker, WavMicrophone
from device.speech.stt_whisper import WhisperStt
from device.speech.trigger import GpioTrigger, KeyTrigger, ScriptedTrigger, Trigger
from device.speech.tts import Voices
from device.speech.vad import Vad
from tests.conftest import EXAMPLE, MODELS, MORNING, spoken, use_whisper


@pytest.fixture(scope="module")
def whisper() -> WhisperStt:
    return WhisperStt(
        MODELS / "whisper-base", languages=("en",), examples=whisper_examples(SpeechSettings())
    )


def _questions(joe: Any, tmp_path: Path, *texts: str) -> list[Path]:
    paths = []
    for i, text in enumerate(texts):
        path = tmp_path / f"q{i}.wav"
        write_wav(path, spoken(joe, text))
        paths.append(path)
    return paths


def test_push_to_talk_answers_and_repeats(
    assistant: Assistant, whisper: WhisperStt, joe: Any, tmp_path: Path
) -> None:
    files = _questions(joe, tmp_path, "Who is the nurse?", "Say that again.")
    speaker = RecordingSpeaker(tmp_path / "out")
    turns: list[Any] = []
    run_loop(
        VoicePipeline(assistant, whisper, Voices({"en": joe}, {})),
        WavMicrophone(files),
        speaker,
        ScriptedTrigger(2),
        Vad(2),
        EndpointConfig(),
        "en",
        on_turn=turns.append,
        now=lambda: MORNING,
    )
    assert [t.turn.intent for t in turns] == ["escalation", "repeat"], [t.transcript for t in turns]
    assert turns[1].turn.answer in turns[0].turn.answer  # without the first-answer notice
    assert turns[1].turn.sources == turns[0].turn.sources
    assert len(speaker.files) == 2 and all(f.stat().st_size > 10_000 for f in speaker.files)


def test_a_press_after_a_held_back_code_confirms_it(
    assistant: Assistant, whisper: WhisperStt, joe: Any, tmp_path: Path
) -> None:
    """Push to talk: every question starts with a press, so the press after "press the button
    to confirm" is the confirmation, and its "yes" releases the code. A "yes" with no code
    held back releases nothing (conversations2.jsonl: a code was never said by voice)."""
    files = _questions(joe, tmp_path, "What is the door code for Greta?", "Yes.")
    turns: list[Any] = []
    run_loop(
        VoicePipeline(assistant, whisper, Voices({"en": joe}, {})),
        WavMicrophone(files),
        RecordingSpeaker(tmp_path / "out"),
        ScriptedTrigger(2),
        Vad(2),
        EndpointConfig(),
        "en",
        on_turn=turns.append,
        now=lambda: MORNING,
    )
    first, second = (t.turn for t in turns)
    assert first.gated and "1990" not in first.answer, first.answer
    assert "1990" in second.answer, [t.transcript for t in turns]


def test_a_long_press_says_the_last_answer_was_wrong(
    assistant: Assistant, whisper: WhisperStt, joe: Any, tmp_path: Path
) -> None:
    files = _questions(joe, tmp_path, "Who is the nurse?")
    speaker = RecordingSpeaker(tmp_path / "out")
    turns: list[Any] = []
    verdicts: list[Any] = []
    run_loop(
        VoicePipeline(assistant, whisper, Voices({"en": joe}, {"sv": joe})),
        WavMicrophone(files),
        speaker,
        ScriptedTrigger(0, ["press", "hold"]),
        Vad(2),
        EndpointConfig(),
        "en",
        on_turn=turns.append,
        now=lambda: MORNING,
        on_verdict=verdicts.append,
    )
    assert [t.turn.intent for t in turns] == ["escalation"]
    (wrong,) = verdicts
    assert wrong.intent == "feedback" and wrong.text == "" and wrong.language == "en"
    assert wrong.signal is not None and wrong.signal.as_dict() == {
        "signal": "bad",
        "intent": "escalation",
        "path": "template",
        "outcome": "escalated",
    }
    assert len(speaker.files) == 2  # the answer, then the spoken thanks for the verdict


def test_key_trigger_lines() -> None:
    import io

    trigger = KeyTrigger(io.StringIO("\nf\nfel\nq\n"))
    assert [trigger.next(5) for _ in range(4)] == ["press", "hold", "hold", "quit"]


def test_gpio_button_short_and_long_press() -> None:
    """gpiozero's own mock pins stand in for the Pi's GPIO: a tap asks, a hold is "fel"."""
    import time

    from gpiozero import Device
    from gpiozero.pins.mock import MockFactory

    Device.pin_factory = MockFactory()
    try:
        trigger = GpioTrigger(17, hold_s=0.3)
        pin = Device.pin_factory.pin(17)
        pin.drive_low()  # pressed (the button pulls up)
        time.sleep(0.05)
        pin.drive_high()
        assert trigger.next(2) == "press"
        pin.drive_low()
        time.sleep(0.6)
        pin.drive_high()
        assert trigger.next(2) == "hold" and trigger.next(0.3) is None  # not also a press
    finally:
        Device.pin_factory.close()
        Device.pin_factory = None


class PressDuringAnswer(Trigger):
    """One press to ask, a second press while the answer is playing, then quit."""

    def __init__(self) -> None:
        super().__init__()
        self.events.put("press")
        self.playing = threading.Event()

    def pending_press(self) -> bool:
        if self.playing.is_set():
            self.events.put("quit")
            return True
        self.playing.set()  # the first chunk is through: "press" on the next one
        return False


class SlowSpeaker(RecordingSpeaker):
    def play(self, chunks: Iterable[AudioChunk], stop: threading.Event) -> bool:
        done = super().play(chunks, stop)
        self.completed = done
        return done


def test_a_press_during_the_answer_stops_it(
    assistant: Assistant, whisper: WhisperStt, joe: Any, tmp_path: Path
) -> None:
    files = _questions(joe, tmp_path, "What should I do at Anna's?")
    speaker = SlowSpeaker()
    turns: list[Any] = []
    run_loop(
        VoicePipeline(assistant, whisper, Voices({"en": joe}, {})),
        WavMicrophone(files),
        speaker,
        PressDuringAnswer(),
        Vad(2),
        EndpointConfig(),
        "en",
        on_turn=turns.append,
        now=lambda: MORNING,
    )
    assert turns[0].turn.intent == "routine"
    assert speaker.completed is False
    assert len(turns[0].speech) < 4  # the long routine answer was cut short


def test_silence_gets_a_plain_spoken_message(
    assistant: Assistant, whisper: WhisperStt, joe: Any, tmp_path: Path
) -> None:
    quiet = tmp_path / "quiet.wav"
    write_wav(quiet, AudioChunk(b"\0\0" * 16000, 16000))
    speaker = RecordingSpeaker()
    turns: list[Any] = []
    run_loop(
        VoicePipeline(assistant, whisper, Voices({"en": joe}, {"sv": joe})),
        WavMicrophone([quiet], silence_s=6),
        speaker,
        ScriptedTrigger(1),
        Vad(2),
        EndpointConfig(no_speech_timeout_ms=2000),
        "sv",
        on_turn=turns.append,
    )
    assert turns == [] and speaker.played  # "Jag hörde ingenting", nothing sent to the assistant


def test_run_command_with_wav_files(
    joe: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    use_whisper(monkeypatch, "en")
    assert main(["import-fhir", str(EXAMPLE)]) == 0
    files = _questions(joe, tmp_path, "Where does Greta live?")
    capsys.readouterr()
    out = tmp_path / "answers"
    assert (
        main(
            [
                "run",
                "--input-wav",
                *map(str, files),
                "--output-dir",
                str(out),
                "--now",
                MORNING.isoformat(),
            ]
        )
        == 0
    )
    turn = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert turn["intent"] == "address" and turn["sources"] == ["Patient/p-greta"]
    assert turn["engine"] == "whisper" and turn["timings_ms"]["stt"] > 0
    assert (out / "answer-1.wav").stat().st_size > 10_000


def test_ask_wav_json_has_transcript_and_stage_times(
    joe: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    use_whisper(monkeypatch, "en")
    assert main(["import-fhir", str(EXAMPLE)]) == 0
    (question,) = _questions(joe, tmp_path, "What is the door code for Greta?")
    capsys.readouterr()
    said = tmp_path / "said.wav"
    assert (
        main(
            [
                "ask",
                "--wav",
                str(question),
                "--json",
                "--confirmed",
                "--say",
                str(said),
                "--now",
                MORNING.isoformat(),
            ]
        )
        == 0
    )
    answer = json.loads(capsys.readouterr().out)
    assert answer["transcript"].lower().startswith("what is the door code")
    assert answer["intent"] == "access" and "Portkod 1990" in answer["answer"]
    assert {"stt", "recognize", "answer", "tts_first_audio", "first_audio"} <= set(
        answer["timings_ms"]
    )
    assert said.stat().st_size > 10_000


def test_no_sound_device_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run"]) == 1
    err = capsys.readouterr().err
    assert "no usable microphone" in err or "no usable speaker" in err


def test_missing_speech_model_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEMASSIST_MODELS__DIR", str(tmp_path / "no-models"))
    assert main(["import-fhir", str(EXAMPLE)]) == 0
    question = tmp_path / "q.wav"
    write_wav(question, AudioChunk(b"\1\0" * 16000, 16000))
    assert main(["ask", "--wav", str(question)]) == 1  # no engine at all is installed
    assert "hemassist models install vosk-sv-small" in capsys.readouterr().err


def test_a_missing_engine_model_falls_back_to_an_installed_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, joe: Any
) -> None:
    """The default engine is Vosk with the Swedish model, which can't be installed here: the
    installed Whisper answers instead, and the log says so."""
    assert main(["import-fhir", str(EXAMPLE)]) == 0
    question = tmp_path / "q.wav"
    write_wav(question, spoken(joe, "Who is my next visit?"))
    capsys.readouterr()
    assert (
        main(["ask", "--wav", str(question), "--json", "--now", "2026-11-24T07:30:00+01:00"]) == 0
    )
    answer = json.loads(capsys.readouterr().out)
    assert answer["engine"] == "whisper" and answer["intent"] == "next_visit"


def test_wake_phrase_starts_a_question(
    assistant: Assistant, whisper: WhisperStt, joe: Any, tmp_path: Path
) -> None:
    """The wake phrase is spotted with the real Vosk decoder (the Korean model and Korean
    words spoken by espeak-ng); only then is the question that follows answered."""
    import subprocess

    from device.speech.stt_vosk import PhraseSpotter, VoskStt
    from device.speech.trigger import WakeTrigger

    def korean(name: str, text: str) -> Path:
        path = tmp_path / name
        subprocess.run(["espeak-ng", "-v", "ko", "-w", str(path), text], check=True)
        return path

    # This model has no "[unk]": another known word stands for "anything else".
    spotter = PhraseSpotter(VoskStt(MODELS / "vosk-ko"), "안녕하세요", others=["감사합니다"])
    (question,) = _questions(joe, tmp_path, "Where does Yusuf live?")
    mic = WavMicrophone(
        [korean("other.wav", "감사합니다"), korean("wake.wav", "안녕하세요"), question]
    )
    turns: list[Any] = []
    run_loop(
        VoicePipeline(assistant, whisper, Voices({"en": joe}, {})),
        mic,
        RecordingSpeaker(),
        WakeTrigger(mic, spotter),
        Vad(2),
        EndpointConfig(),
        "en",
        on_turn=turns.append,
        now=lambda: MORNING,
    )
    assert [t.turn.intent for t in turns] == ["address"], [t.transcript for t in turns]
    assert turns[0].turn.sources == ("Patient/p-yusuf",)
