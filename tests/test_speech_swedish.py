"""Swedish speech with the real Whisper base model: closed-domain recognition reads template
questions spoken by espeak-ng (where the free transcript is mostly gibberish), never picks a
sentence that means something else, and lets off-domain speech through as the free transcript.

espeak-ng is a robotic voice: this is a floor, measured in full by bench/bench_spoken.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as examples
from hypothesis import strategies as st

from device.assistant import Assistant
from device.settings import Settings, SpeechSettings
from device.speech.factory import whisper_examples
from device.speech.pipeline import VoicePipeline
from device.speech.stt import told_apart
from device.speech.stt_whisper import WhisperStt
from device.speech.tts import Voices
from device.speech.tts_espeak import EspeakTts
from tests.conftest import MODELS, MORNING, spoken

# Questions on the example bundle and the intent and source a right reading has. Free decoding
# understood almost none of them. They are among those bench/bench_spoken.py found this
# method reads right with espeak-ng "sv" (2026-12-02), at once or said back for a yes, so they
# guard against a regression; the bench measures the whole rate. Which of the two a question
# gets can change with the machine's arithmetic near a threshold; a wrong answer must not.
QUESTIONS = [
    ("Vem är mitt nästa besök?", "next_visit", None),
    ("Vem är nästa brukare?", "next_visit", None),
    ("Hur många brukare har jag i dag?", "schedule_count", None),
    ("Hur kommer jag in hos Greta?", "access", "Patient/p-greta"),
    ("Ring Bertils son", "relative_phone", "RelatedPerson/p-bertil-rel1"),
    ("Vem ska jag till nu?", "next_visit", None),
]
OFF_DOMAIN = [
    "Det regnar mycket i Göteborg i november och spårvagnarna är ofta försenade.",
    "Min bror har köpt en ny cykel som han ska använda på semestern.",
]
# At least this many of QUESTIONS are answered right, at once or after a "ja"; none wrong.
# Was 4: the everyday sentences (how many are left, the first and the last visit) put readings
# of another meaning close beside "Vem är nästa brukare?" and "Hur många brukare har jag i dag?",
# which became honest misses (too close to tell apart), not wrong answers (2026-12-04).
FLOOR = 3


@pytest.fixture(scope="module")
def whisper_sv() -> WhisperStt:
    return WhisperStt(
        MODELS / "whisper-base",
        threads=2,
        languages=("sv",),
        examples=whisper_examples(SpeechSettings()),
    )


@pytest.fixture
def pipeline(
    assistant: Assistant, whisper_sv: WhisperStt, settings: Settings, espeak: Any
) -> VoicePipeline:
    return VoicePipeline(assistant, whisper_sv, Voices({}, {"sv": espeak}), False, settings.speech)


@pytest.fixture(scope="module")
def espeak_voice() -> Any:
    return EspeakTts("sv")


@pytest.fixture
def espeak(espeak_voice: Any) -> Any:
    return espeak_voice


def test_spoken_swedish_template_questions_are_read_right(
    pipeline: VoicePipeline, espeak: Any
) -> None:
    right, wrong = [], []
    for question, intent, client in QUESTIONS:
        heard = pipeline.hear(spoken(espeak, question))
        turn = pipeline.assistant.ask(heard.text, now=MORNING, unsure=heard.unsure)
        print(f"{question!r}: free {heard.free_text!r} → {heard.text!r} ({heard.decision})")
        if heard.unsure and turn.outcome == "clarify":  # said back: the worker hears it and
            # says yes when it is what she asked, no when it is not (a "ja" to everything would
            # count her own careless yes as the assistant's wrong answer)
            reply = "Ja" if turn.intent == intent else "Nej"
            turn = pipeline.assistant.ask(reply, now=MORNING)
        meant = pipeline.assistant.care.client(client) if client else None
        if heard.unsure and turn.outcome == "ambiguous" and meant is not None:  # which one?
            turn = pipeline.assistant.ask(meant.given, now=MORNING)
        if turn.intent == intent and (client is None or client in turn.sources):
            right.append(question)
        elif turn.outcome not in ("unknown", "clarify", "ambiguous"):
            wrong.append((question, heard.text, turn.intent, turn.sources))
        assert heard.free_text is not None and heard.decision is not None
    assert not wrong, wrong
    assert len(right) >= FLOOR, right


def test_off_domain_speech_keeps_the_free_transcript(pipeline: VoicePipeline, espeak: Any) -> None:
    for sentence in OFF_DOMAIN:
        heard = pipeline.hear(spoken(espeak, sentence))
        print(f"{sentence!r}: free {heard.free_text!r} ({heard.decision}, {heard.scores})")
        assert heard.candidate is None, (sentence, heard.candidate, heard.scores)
        assert heard.text == heard.free_text
        turn = pipeline.assistant.ask(heard.text, now=MORNING, unsure=heard.unsure)
        assert turn.outcome in ("unknown", "clarify", "no_data"), (sentence, turn.intent)


def test_the_json_of_a_spoken_turn_shows_both_readings(
    pipeline: VoicePipeline, espeak: Any
) -> None:
    data = pipeline.turn(spoken(espeak, "Hur dags börjar Bertil?"), now=MORNING).as_dict()
    assert {"transcript", "free_transcript", "candidate", "stt_decision", "stt_scores"} <= set(data)
    # Not read by a template, so also written with the templates' words only.
    assert data["stt_decision"] == "free transcript understood" or data["within_transcript"]
    timings = data["timings_ms"]
    assert isinstance(timings, dict)
    assert {"stt_encode", "stt_decode", "stt"} <= set(timings)


def test_a_transcript_that_only_repeats_the_prompt_is_not_taken_as_heard(
    pipeline: VoicePipeline, espeak: Any
) -> None:
    # Measured 2026-12-02: Whisper base wrote the prompt's first example, "Vem är mitt nästa
    # besök?", for this question, and the worker was told her next visit.
    heard = pipeline.hear(spoken(espeak, "Vem vann matchen igår?"))
    print(f"free {heard.free_text!r} → {heard.text!r} ({heard.decision}, {heard.scores})")
    turn = pipeline.assistant.ask(heard.text, now=MORNING, unsure=heard.unsure)
    # Not answered: at most said back for a yes or no ("Menar du ditt nästa besök?").
    assert turn.outcome in ("unknown", "clarify", "no_data"), (turn.intent, turn.outcome)
    assert turn.intent != "next_visit" or heard.unsure, (heard.free_text, heard.decision)


def test_a_short_reading_is_said_back_and_a_yes_answers_it(
    pipeline: VoicePipeline, espeak: Any
) -> None:
    # Measured 2026-12-06 (bench_spoken.py): "vem står på tur" fits the audio best, about 1.05
    # ahead of every other meaning, but a sentence of four words with no name in it is at most
    # said back (speech.closed_short).
    voice = pipeline.turn(spoken(espeak, "Vem står på tur?"), now=MORNING)
    heard, turn = voice.transcript, voice.turn
    print(f"free {heard.free_text!r} → {heard.text!r} ({heard.decision}, {heard.scores})")
    assert heard.unsure and heard.decision is not None
    assert heard.decision.startswith("asking back")
    assert turn.outcome == "clarify" and turn.sources == ()
    assert "Menar du ditt nästa besök?" in turn.answer
    assert "Anna" not in turn.answer  # nothing of the schedule before the yes
    assert voice.as_dict()["asked_back"] is True
    answered = pipeline.turn(spoken(espeak, "Ja"), now=MORNING).turn
    assert answered.intent == "next_visit"
    assert "Appointment/p-anna-v1" in answered.sources


def test_a_short_reading_naming_someone_heard_is_answered_when_clearly_ahead(
    pipeline: VoicePipeline, espeak: Any
) -> None:
    # Measured 2026-12-06: Whisper wrote "Ring Matilsson."; "ring bertils son" fits the audio
    # 1.2 a token ahead of every other meaning, and "bertil" sounds like part of what was
    # written: answered at once (speech.closed_short_named). Until then it was said back.
    voice = pipeline.turn(spoken(espeak, "Ring Bertils son"), now=MORNING)
    heard, turn = voice.transcript, voice.turn
    print(f"free {heard.free_text!r} → {heard.text!r} ({heard.decision}, {heard.scores})")
    assert not heard.unsure and heard.decision == "chosen"
    assert turn.intent == "relative_phone"
    assert "RelatedPerson/p-bertil-rel1" in turn.sources


def test_after_a_say_back_a_no_or_a_new_question_is_not_heard_as_a_yes(
    pipeline: VoicePipeline, espeak: Any
) -> None:
    # While a yes or no is awaited the audio is weighed against the answers alone (Whisper wrote
    # "Ja" as "Jag...", 2026-12-05): a "nej" must stay a no, a new question a new question.
    for reply in ("Nej", "Vad ska jag göra hos Greta?"):
        asked = pipeline.turn(spoken(espeak, "Vem står på tur?"), now=MORNING).turn
        assert asked.outcome == "clarify"
        voice = pipeline.turn(spoken(espeak, reply), now=MORNING)
        print(f"{reply!r}: {voice.transcript.text!r} ({voice.transcript.decision})")
        assert voice.turn.intent != "next_visit", reply
        assert "Appointment/p-anna-v1" not in voice.turn.sources


def test_ask_wav_with_the_yes_as_a_second_file_answers_what_was_said_back(
    espeak: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from device.cli import main
    from device.speech.audio import write_wav
    from tests.conftest import EXAMPLE, use_whisper

    use_whisper(monkeypatch, "sv")
    assert main(["import-fhir", str(EXAMPLE)]) == 0
    question, yes = tmp_path / "fråga.wav", tmp_path / "ja.wav"
    write_wav(question, spoken(espeak, "Vem står på tur?"))
    write_wav(yes, spoken(espeak, "Ja"))
    capsys.readouterr()
    now = MORNING.isoformat()
    assert main(["ask", "--wav", str(question), str(yes), "--json", "--now", now]) == 0
    first, second = (json.loads(line) for line in capsys.readouterr().out.strip().splitlines())
    assert first["asked_back"] is True and first["outcome"] == "clarify"
    assert second["intent"] == "next_visit"
    assert "Appointment/p-anna-v1" in second["sources"]


def test_the_constrained_transcript_is_written_with_the_given_words_only(
    whisper_sv: WhisperStt, espeak: Any
) -> None:
    heard = whisper_sv.hear(spoken(espeak, "Vad ska jag göra hos Bertil?"))
    texts = heard.within(frozenset({"ja", "nej"}))
    print(f"free {heard.text!r}, within ja/nej {texts!r}")
    assert texts and "stt_within" in heard.timings_ms
    # Only the tokens of "ja", "nej", "Ja", "Nej" and punctuation could be written.
    letters = {c for text in texts for c in text.lower() if c.isalpha()}
    assert letters <= set("jane"), texts
    assert heard.within(frozenset()) == []


def test_a_short_question_naming_someone_unknown_is_not_answered_for_a_sound_alike(
    pipeline: VoicePipeline,
) -> None:
    # Measured 2026-12-03 (bench_spoken.py, espeak-ng "sv"): Whisper base wrote "Ring,
    # Karin." for "Ring Kalle" (nobody in the example bundles is called Kalle); the templates read
    # it and Anna's daughter Karin's number was read out. A short reading is now checked against
    # the audio first (closed.check_heard, tested with plain values in test_closed_domain.py);
    # what Whisper writes depends on the voice and the prompt's names (with this test's bundle it
    # wrote other words for it, 2026-12-03), so this guards three voices against any answer.
    for name in ("sv", "sv+f2", "sv+m3"):
        voice = pipeline.turn(spoken(EspeakTts(name), "Ring Kalle"), now=MORNING)
        heard, turn = voice.transcript, voice.turn
        print(f"{name}: free {heard.free_text!r} → {heard.text!r} ({heard.decision})")
        assert turn.outcome in ("unknown", "clarify", "ambiguous", "no_data"), (name, turn.answer)
        assert "070" not in turn.answer


def test_the_devices_language_is_heard_unless_the_other_is_far_likelier() -> None:
    assert told_apart({"sv": 0.01, "en": 0.99}, ("sv", "en"), 250) == "sv"  # espeak-ng's Swedish
    assert told_apart({"sv": 0.0001, "en": 0.9999}, ("sv", "en"), 250) == "en"
    assert told_apart({"sv": 0.3, "en": 0.7}, ("sv", "en"), 1) == "en"  # even odds: the likelier
    assert told_apart({"en": 0.9}, ("en", "sv"), 250) == "en"
    assert told_apart({}, ("sv",), 250) == "sv"


@examples(max_examples=300, deadline=None)
@given(
    st.dictionaries(st.sampled_from(["sv", "en", "no"]), st.floats(0, 1), max_size=3),
    st.permutations(["sv", "en"]),
    st.floats(1, 1e6),
)
def test_another_language_is_heard_only_when_it_is_the_odds_likelier(
    found: dict[str, float], allowed: list[str], odds: float
) -> None:
    heard = told_apart(found, allowed, odds)
    assert heard in allowed
    if heard != allowed[0]:
        assert found.get(heard, 0.0) > odds * found.get(allowed[0], 0.0)


def test_robotic_swedish_is_heard_as_swedish_when_english_is_allowed_too(espeak: Any) -> None:
    # At even odds Whisper base took this for English (2026-12-05), and so did 39 of 42 held-out
    # questions in espeak-ng's voices; the device's language now wins unless English is 250x
    # likelier (speech.whisper_other_language_odds).
    both = WhisperStt(MODELS / "whisper-base", threads=2, languages=("sv", "en"), other_odds=250)
    heard = both.hear(spoken(espeak, "Vad ska jag göra hos Bertil på lunchen?"))
    print(heard.language, heard.text)
    assert heard.language == "sv"
