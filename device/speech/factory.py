"""Build the speech stack from settings: the chosen speech-to-text engine and a voice per
language. Models are looked up in the manifest and loaded only from the models directory."""

from __future__ import annotations

import logging

from device.models.choice import choose_stt
from device.models.install import model_path
from device.models.manifest import ModelError
from device.models.site import manifest_for
from device.settings import Settings, SpeechSettings
from device.speech.stt import SpeechToText, SttError
from device.speech.tts import TextToSpeech, TtsError, Voices

log = logging.getLogger("hemassist.speech")


def make_stt(settings: Settings) -> SpeechToText:
    """The configured engine, or an installed one for the language when its model is missing
    (logged once); SttError saying what to install when there is none."""
    try:
        choice = choose_stt(settings)
    except ModelError as exc:
        raise SttError(str(exc)) from None
    if choice.path is None:
        raise SttError(choice.note)
    if choice.note:
        log.warning("speech-to-text uses %s: %s", choice.used, choice.note)
    speech = settings.speech
    if choice.engine == "vosk":
        from device.speech.stt_vosk import VoskStt

        return VoskStt(choice.path)
    from device.speech.stt_whisper import WhisperStt

    return WhisperStt(
        choice.path,
        threads=speech.threads,
        compute_type=speech.whisper_compute_type,
        languages=whisper_languages(settings),
        window_s=speech.whisper_window_s,
        examples=whisper_examples(speech),
        other_odds=speech.whisper_other_language_odds,
    )


def whisper_examples(speech: SpeechSettings) -> dict[str, str]:
    """The example questions that start Whisper's prompt, per language."""
    return {"sv": speech.whisper_examples_sv, "en": speech.whisper_examples_en}


def whisper_languages(settings: Settings) -> tuple[str, ...]:
    """What Whisper may hear: the set language, or Swedish and English told apart per utterance."""
    if settings.speech.whisper_language:
        return (settings.speech.whisper_language,)
    if settings.detect_language:  # the device's language first: the other must win clearly
        return (settings.language, "en" if settings.language == "sv" else "sv")
    return (settings.language,)


def make_voices(settings: Settings, variation: bool = True) -> Voices:
    """Piper where its voice is installed; espeak-ng (logged) where it isn't. ``variation``
    off makes Piper say a text the same way every time (the self-test's round trip)."""
    from device.speech.tts_espeak import EspeakTts

    manifest = manifest_for(settings)
    voice = settings.voice
    piper: dict[str, TextToSpeech] = {}
    fallback: dict[str, TextToSpeech] = {}
    for lang, name, espeak in (
        ("sv", voice.piper_sv, voice.espeak_sv),
        ("en", voice.piper_en, voice.espeak_en),
    ):
        try:
            from device.speech.tts_piper import PiperTts

            path = model_path(manifest.get(name), settings.models.dir)
            piper[lang] = PiperTts(
                path, speed=voice.speed, volume=voice.volume, variation=variation
            )
        except (ModelError, TtsError) as exc:
            log.warning("no Piper voice for %s, using espeak-ng: %s", lang, exc)
        try:
            fallback[lang] = EspeakTts(espeak, speed=voice.speed, volume=voice.volume)
        except TtsError as exc:
            log.warning("%s", exc)
    return Voices(piper, fallback)
