"""The settings of listening and speaking: speech-to-text (Vosk, Whisper and its closed-domain
step), the voice, the microphone and endpointing, the push-to-talk trigger."""

from __future__ import annotations

from typing import Literal

from pydantic import (
    Field,
)

from device.settings.sections import _Section


class SpeechSettings(_Section):
    engine: Literal["vosk", "whisper"] = Field(
        "vosk", description="Speech-to-text engine: vosk (streaming, grammar) or whisper."
    )
    vosk_model: str = Field("vosk-sv-small", description="Vosk model name from the manifest.")
    whisper_model: str = Field(
        "kb-whisper-base", description="Whisper (CTranslate2) model name from the manifest."
    )
    whisper_language: str = Field(
        "",
        description='Language Whisper listens for ("" = Swedish or English, told per utterance '
        "when detect_language is on, else `language`).",
    )
    whisper_other_language_odds: float = Field(
        250,
        ge=1,
        le=1e6,
        description="Whisper, telling Swedish from English: the language that is not `language` "
        "is heard only when Whisper finds it this many times likelier (1: the likelier one).",
    )
    whisper_compute_type: str = Field("int8", description="CTranslate2 compute type.")
    whisper_window_s: float = Field(
        10.0,
        ge=5,
        le=30,
        description="Seconds of audio Whisper's encoder sees (30: its own; 10 encodes about 4x "
        "faster; the question and 3 s after it always fit).",
    )
    whisper_examples_sv: str = Field(
        "Vem är mitt nästa besök? Vad ska jag göra hos henne? Har hon några allergier? "
        "Ring dottern. Vad har jag i dag?",
        max_length=400,
        description="Whisper: Swedish example questions that start its prompt, before the names.",
    )
    whisper_examples_en: str = Field(
        "Who is my next visit? What should I do for her? Does she have any allergies? "
        "Call the daughter. What do I have today?",
        max_length=400,
        description="Whisper: English example questions that start its prompt, before the names.",
    )
    threads: int = Field(2, ge=1, le=16, description="CPU threads for speech-to-text.")
    second_pass: bool = Field(
        True, description="Vosk: decode again with open vocabulary when the grammar gives nothing."
    )
    closed_domain: bool = Field(
        True,
        description="Whisper: when no template reads the free transcript, score the closest "
        "template sentences against the audio and take one that fits clearly better.",
    )
    closed_within: bool = Field(
        True,
        description="Whisper: also decode with only the tokens of the templates' words allowed, "
        "and shortlist from that transcript too (as Vosk's grammar holds it to them).",
    )
    closed_candidates: int = Field(
        8, ge=1, le=64, description="Whisper: template sentences shortlisted per way of matching."
    )
    closed_search: Literal["shortlist", "grammar", "both"] = Field(
        "shortlist",
        description="Whisper: where the sentences scored against the audio come from: shortlist "
        "(closest to the transcripts), grammar (a beam search of Whisper's decoder through "
        "every sentence of the care grammar) or both.",
    )
    closed_score: Literal["window", "align"] = Field(
        "window",
        description="Whisper: how sentences are scored against the audio: window (the numpy "
        "decoder over the whole encoded window, end of text included, less closed_prior times "
        "Whisper's prior) or align (CTranslate2 align over the utterance's frames, no prior).",
    )
    closed_name_heard: float = Field(
        70,
        ge=0,
        le=100,
        description="Whisper: a chosen sentence is answered at once only when each name in it "
        "sounds at least this much (0-100) like part of a transcript; else it is said back.",
    )
    closed_pool: float = Field(
        0.0,
        ge=0,
        le=2,
        description="Whisper: sentences of one meaning pooled by log-sum-exp at this temperature "
        "(per-token scores); 0 takes each meaning's best sentence alone.",
    )
    closed_beam: int = Field(
        8, ge=1, le=32, description="Whisper: hypotheses kept per step of the grammar search."
    )
    closed_found: int = Field(
        12, ge=1, le=64, description="Whisper: sentences the grammar search hands on to be scored."
    )
    closed_prior: float = Field(
        0.5,
        ge=0,
        le=2,
        description="Whisper, grammar search: alpha, how much of Whisper's prior (its "
        "log-probabilities given padding only) is subtracted from each token's score (0: none).",
    )
    closed_handoff: float = Field(
        1.0,
        ge=0,
        description="Whisper, grammar search: when the free transcript is this much likelier "
        "(calibrated, per token) than the best grammar sentence, it goes to the text path as "
        "heard; no grammar sentence is forced on it nor said back.",
    )
    closed_free_slack: float = Field(
        3.0,
        ge=0,
        description="Whisper: how much less likely (mean log-probability per token) than the free "
        "transcript a template sentence may be and still be chosen.",
    )
    closed_margin: float = Field(
        0.55,
        ge=0,
        description="Whisper: how much likelier than any sentence meaning something else the "
        "chosen sentence must be.",
    )
    closed_resemblance: float = Field(
        55,
        ge=0,
        le=100,
        description="Whisper: how alike (0-100, in spelling or sound) the free transcript and the "
        "chosen sentence must be.",
    )
    closed_ask_back: bool = Field(
        True,
        description="Whisper: when no sentence is clear enough to choose, say the likeliest one "
        'back ("Menar du …? Säg ja eller nej.") when it is close enough (the two below).',
    )
    closed_ask_slack: float = Field(
        2.0,
        ge=0,
        description="Whisper: how much less likely than the free transcript a sentence said back "
        "may be.",
    )
    closed_ask_margin: float = Field(
        0.1,
        ge=0,
        description="Whisper: how much likelier than any sentence meaning something else a "
        "sentence said back must be.",
    )
    closed_heard_margin: float = Field(
        0.5,
        ge=0,
        description="Whisper: how much likelier than any sentence meaning something else a short "
        "free transcript the templates read must be to be taken as heard (else said back).",
    )
    closed_echo_margin: float = Field(
        1.0,
        ge=0,
        description="Whisper: how much likelier than any other meaning a transcript that repeats "
        "one of the prompt's examples must be to be taken as heard.",
    )
    closed_short: int = Field(
        5,
        ge=0,
        le=20,
        description="Whisper: a template sentence of fewer words than this is at most said back, "
        "never answered at once (with closed_ask_back; short sentences were most of the wrong "
        "readings).",
    )
    closed_short_named: float = Field(
        1.0,
        ge=0,
        le=100,
        description="Whisper: a template sentence shorter than closed_short that names a person "
        "heard in the transcripts is answered at once when this much likelier (log-probability "
        "a token) than every other meaning; else it is said back.",
    )


class VoiceSettings(_Section):
    piper_sv: str = Field("piper-sv-nst", description="Piper voice (manifest name) for Swedish.")
    piper_en: str = Field("piper-en-joe", description="Piper voice (manifest name) for English.")
    espeak_sv: str = Field("sv", description="espeak-ng voice for Swedish when Piper's is missing.")
    espeak_en: str = Field(
        "en-us", description="espeak-ng voice for English when Piper's is missing."
    )
    speed: float = Field(1.0, ge=0.5, le=2.0, description="Speaking speed; below 1 is slower.")
    volume: float = Field(1.0, ge=0.1, le=2.0, description="Loudness of the answers.")


class AudioSettings(_Section):
    input_device: str = Field(
        "", description="Microphone (sounddevice name or index; '' = default)."
    )
    output_device: str = Field("", description="Speaker (sounddevice name or index; '' = default).")
    vad_aggressiveness: int = Field(2, ge=0, le=3, description="WebRTC VAD: 0 lenient … 3 strict.")
    frame_ms: Literal[10, 20, 30] = Field(30, description="VAD frame length in milliseconds.")
    trailing_silence_ms: int = Field(600, ge=100, description="Silence that ends an utterance.")
    max_utterance_s: float = Field(10, gt=0, description="Longest question; longer is cut.")
    no_speech_timeout_s: float = Field(5, gt=0, description="Give up when nothing is said.")


class TriggerSettings(_Section):
    mode: Literal["key", "gpio", "wake"] = Field(
        "key", description="Push-to-talk by a key (Enter), a GPIO button, or a wake phrase."
    )
    gpio_pin: int = Field(17, ge=0, le=40, description="GPIO (BCM) pin of the button.")
    hold_s: float = Field(
        1.5, gt=0.2, le=10, description='Held this long, the button means "fel" (wrong answer).'
    )
    wake_phrase: str = Field("hej assistent", description="Phrase that wakes the assistant.")
