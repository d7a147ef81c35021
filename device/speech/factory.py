"""Build the speech stack from settings: the chosen speech-to-text engine and a voice per
language. Models are looked up in the manifest and loaded only from the models directory."""

from __future__ import annotations

import logging

from device.models.install import model_path
from device.models.manifest import ModelError, load_manifest
from device.settings import Settings
from device.speech.stt import SpeechToText, SttError
from device.speech.tts import TextToSpeech, TtsError, Voices

log = logging.getLogger("hemassist.speech")


def make_stt(settings: Settings) -> SpeechToText:
    """The configured engine; SttError saying what to install when its model is missing."""
    manifest = load_manifest()
    speech = settings.speech
    try:
        if speech.engine == "vosk":
            from device.speech.stt_vosk import VoskStt

            return VoskStt(model_path(manifest.get(speech.vosk_model), settings.models.dir))
        from device.speech.stt_whisper import WhisperStt

        return WhisperStt(
            model_path(manifest.get(speech.whisper_model), settings.models.dir),
            threads=speech.threads,
            compute_type=speech.whisper_compute_type,
            language=speech.whisper_language or None,
        )
    except ModelError as exc:
        raise SttError(str(exc)) from None


def make_voices(settings: Settings) -> Voices:
    """Piper where its voice is installed; espeak-ng (logged) where it isn't."""
    from device.speech.tts_espeak import EspeakTts

    manifest = load_manifest()
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
            piper[lang] = PiperTts(path, speed=voice.speed, volume=voice.volume)
        except (ModelError, TtsError) as exc:
            log.warning("no Piper voice for %s, using espeak-ng: %s", lang, exc)
        try:
            fallback[lang] = EspeakTts(espeak, speed=voice.speed, volume=voice.volume)
        except TtsError as exc:
            log.warning("%s", exc)
    return Voices(piper, fallback)
