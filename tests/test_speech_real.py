"""Real models, real audio: the Piper voice speaks questions, Whisper base hears them, the
assistant answers with the right sources; the real Vosk decoder with the Korean model from PyPI."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from device.assistant import Assistant
from device.settings import SpeechSettings
from device.speech.audio import parse_wav
from device.speech.factory import whisper_examples
from device.speech.pipeline import VoicePipeline
from device.speech.stt_vosk import VoskStt
from device.speech.stt_whisper import WhisperStt
from device.speech.tts import Voices
from tests.conftest import MODELS, MORNING, spoken

ANNA, BERTIL, GRETA, YUSUF = (
    "Patient/p-anna",
    "Patient/p-bertil",
    "Patient/p-greta",
    "Patient/p-yusuf",
)

SPOKEN_QUESTIONS = [
    ("Who is my next visit?", "next_visit", {"Appointment/p-anna-v1", ANNA}),
    # No allergy flag: every record of hers was read before saying so, and is cited.
    (
        "Does Greta have any allergies?",
        "flags",
        {GRETA, "CarePlan/p-greta-plan", "Flag/p-greta-flag1", "MedicationRequest/p-greta-med1"},
    ),
    ("Does Bertil have any pets?", "flags", {"Flag/p-bertil-flag2", BERTIL}),
    ("What medication does Greta take?", "medication", {"MedicationRequest/p-greta-med1", GRETA}),
    ("Where does Yusuf live?", "address", {YUSUF}),
    ("What is the door code for Anna?", "access", {ANNA}),
    ("Who is the nurse?", "escalation", {"PractitionerRole/role-w-nurse", "Practitioner/w-nurse"}),
    (
        "How many visits do I have today?",
        "schedule_count",
        {
            "Appointment/p-anna-v1",
            "Appointment/p-bertil-v1",
            "Appointment/p-greta-v1",
            "Appointment/p-anna-v2",
            "Appointment/p-bertil-v2",
            "Appointment/p-yusuf-v1",
            "Appointment/p-anna-v3",
        },
    ),
    (
        "What should I do at Yusuf's?",
        "routine",
        {"Appointment/p-yusuf-v1", "CarePlan/p-yusuf-plan", YUSUF},
    ),
    ("What is Anna's daughter's number?", "relative_phone", {"RelatedPerson/p-anna-rel1", ANNA}),
    (
        "Who is the coordinator?",
        "escalation",
        {"PractitionerRole/role-w-coord", "Practitioner/w-coord"},
    ),
    (
        "What should I know about Greta?",
        "notes",
        {"CarePlan/p-greta-plan", "Flag/p-greta-flag1", GRETA},
    ),
]


@pytest.fixture(scope="module")
def whisper() -> WhisperStt:
    return WhisperStt(
        MODELS / "whisper-base",
        threads=2,
        languages=("en",),
        examples=whisper_examples(SpeechSettings()),
    )


@pytest.fixture
def pipeline(assistant: Assistant, whisper: WhisperStt, joe: Any) -> VoicePipeline:
    return VoicePipeline(assistant, whisper, Voices({"en": joe}, {}), second_pass=False)


def test_spoken_english_questions_get_the_right_answer(pipeline: VoicePipeline, joe: Any) -> None:
    wrong = []
    for question, intent, sources in SPOKEN_QUESTIONS:
        voice = pipeline.turn(spoken(joe, question), now=MORNING)
        if voice.turn.intent != intent or set(voice.turn.sources) != sources:
            wrong.append((question, voice.transcript.text, voice.turn.intent))
        assert voice.speech, "the answer is spoken"
        assert voice.timings_ms["first_audio"] <= voice.timings_ms["voice_total"]
    assert wrong == []


def test_whispers_own_window_answers_the_same(assistant: Assistant, joe: Any) -> None:
    """speech.whisper_window_s = 30 (Whisper's own; the default is 10): no question above gets
    a wrong answer, and all but one the right one. (Short phrases repeated, "Say that again." ×3,
    were seen only with a window of just the question + 3 s, which is not offered.) Measured
    2026-12-05 on the CI machine, on main before and after that day's work alike: int8 arithmetic
    there heard "What medication does Greta take?" as "What medication does creditate?", which
    the assistant honestly did not understand; elsewhere all were right."""
    short = WhisperStt(
        MODELS / "whisper-base",
        threads=2,
        languages=("en",),
        window_s=30,
        examples=whisper_examples(SpeechSettings()),
    )
    quick = VoicePipeline(assistant, short, Voices({"en": joe}, {}), second_pass=False)
    missed = []
    for question, intent, sources in SPOKEN_QUESTIONS:
        voice = quick.turn(spoken(joe, question), now=MORNING)
        if voice.turn.intent != intent or set(voice.turn.sources) != sources:
            missed.append((question, voice.transcript.text, voice.turn.outcome))
    wrong = [m for m in missed if m[2] not in ("unknown", "clarify", "ambiguous")]
    assert wrong == []
    assert len(missed) <= 1, missed
    assert short.transcribe(spoken(joe, "Say that again.")).text == "Say that again."


def test_spoken_answer_is_real_speech(
    pipeline: VoicePipeline, joe: Any, whisper: WhisperStt
) -> None:
    from device.speech.audio import join

    voice = pipeline.turn(spoken(joe, "Who is the nurse?"), now=MORNING)
    heard_back = set(re.findall(r"\w+", whisper.transcribe(join(voice.speech)).text.lower()))
    said = set(re.findall(r"[a-z]{4,}", voice.turn.answer.lower()))
    # The English voice says the Swedish name oddly ("narcissair home"); most words come through.
    assert len(said & heard_back) >= 0.5 * len(said), (said, heard_back)


def _espeak_korean(tmp_path: Path, text: str) -> Any:
    out = tmp_path / "ko.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(out), text], check=True)
    return parse_wav(out.read_bytes())


@pytest.fixture(scope="module")
def vosk_ko() -> VoskStt:
    return VoskStt(MODELS / "vosk-ko")


def test_real_vosk_decoder_with_a_grammar(vosk_ko: VoskStt, tmp_path: Path) -> None:
    vosk_ko.prime(["안녕하세요", "감사합니다"], [])
    heard = vosk_ko.transcribe(_espeak_korean(tmp_path, "안녕하세요"))
    assert (heard.text, heard.engine, heard.open_vocabulary) == ("안녕하세요", "vosk", False)
    assert vosk_ko.transcribe(_espeak_korean(tmp_path, "감사합니다")).text == "감사합니다"


def test_real_vosk_decoder_streams_partial_and_final_results(
    vosk_ko: VoskStt, tmp_path: Path
) -> None:
    audio = _espeak_korean(tmp_path, "안녕하세요 감사합니다").to_stt().audio
    recognizer = vosk_ko.recognizer(open_vocabulary=True)
    partials = []
    for start in range(0, len(audio), 3200):
        recognizer.AcceptWaveform(audio[start : start + 3200])
        partials.append(json.loads(recognizer.PartialResult()).get("partial", ""))
    final = json.loads(recognizer.FinalResult())["text"]
    assert any(partials) and final
    assert vosk_ko.transcribe(_espeak_korean(tmp_path, "안녕하세요"), open_vocabulary=True).text


def test_a_folder_that_is_not_a_model_is_a_clear_error(tmp_path: Path) -> None:
    from device.speech.stt import SttError

    with pytest.raises(SttError, match="not a Vosk model"):
        VoskStt(tmp_path)
    with pytest.raises(SttError, match="not a CTranslate2 Whisper model"):
        WhisperStt(tmp_path)


@pytest.mark.parametrize("question", ["What do I have tomorrow?", "Who do I have on Friday?"])
def test_a_spoken_question_about_another_day_never_gets_todays_visits(
    assistant: Assistant, whisper: WhisperStt, joe: Any, question: str
) -> None:
    """With the closed domain on (as on a device): its template sentences name no day, so a
    sentence chosen from them must never stand in for a question about another day."""
    closed = VoicePipeline(
        assistant, whisper, Voices({"en": joe}, {}), second_pass=False, closed=SpeechSettings()
    )
    voice = closed.turn(spoken(joe, question), now=MORNING)
    today = [s for s in voice.turn.sources if s.startswith("Appointment/")]
    assert today == [], (voice.transcript.text, voice.turn.answer)
    assert voice.turn.outcome in ("no_data", "unknown", "clarify"), voice.turn.answer
