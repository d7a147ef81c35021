"""`hemassist ask --wav` and `hemassist run`: a spoken turn and the live loop."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any

from device.commands.common import EXIT_ERROR, EXIT_OK, assistant_for, parse_now, print_turn
from device.commands.telemetry import recorder_for, telemetry_service
from device.settings import Settings


def voice_pipeline(settings: Settings, assistant: Any) -> Any:
    from device.speech.factory import make_stt, make_voices
    from device.speech.pipeline import VoicePipeline
    from device.speech.stt import SttError

    try:
        stt = make_stt(settings)
    except SttError as exc:
        print(f"hemassist: speech-to-text is not available: {exc}", file=sys.stderr)
        return None
    return VoicePipeline(
        assistant, stt, make_voices(settings), settings.speech.second_pass, settings.speech
    )


def ask_wav(
    settings: Settings,
    assistant: Any,
    args: argparse.Namespace,
    now: datetime | None,
    recorder: Callable[..., None],
) -> int:
    from device.speech.audio import AudioError, join, read_wav, write_wav

    try:  # every file is read before the first is answered: a bad one loses no answer
        limits = settings.input
        turns = [
            read_wav(path, limits.max_wav_s, int(limits.max_wav_mb * 1_000_000))
            for path in args.wav
        ]
    except AudioError as exc:
        print(f"hemassist: {exc}", file=sys.stderr)
        return EXIT_ERROR
    pipeline = voice_pipeline(settings, assistant)
    if pipeline is None:
        return EXIT_ERROR
    for audio in turns:  # one conversation: a "ja" answers what the turn before said back
        voice = pipeline.turn(audio, now=now, confirmed=args.confirmed)
        if args.say is not None and voice.speech:
            write_wav(args.say, join(voice.speech))  # the last answer spoken
        recorder(voice.turn, engine=voice.transcript.engine, extra_ms=voice.timings_ms)
        if args.json:
            print(json.dumps(voice.as_dict(), ensure_ascii=False))
            continue
        heard = voice.transcript
        if heard.candidate is not None and heard.candidate != heard.free_text:
            print(f"(heard: {heard.free_text}; read as: {heard.candidate})")
        else:
            print(f"(heard: {heard.text})")
        print_turn(voice.turn, False, sys.stdout)
    return EXIT_OK


def run(settings: Settings, args: argparse.Namespace) -> int:
    from device.speech.endpoint import EndpointConfig
    from device.speech.live import run_loop
    from device.speech.sound import (
        DeviceMicrophone,
        DeviceSpeaker,
        RecordingSpeaker,
        SoundError,
        WavMicrophone,
    )
    from device.speech.trigger import (
        GpioTrigger,
        KeyTrigger,
        ScriptedTrigger,
        Trigger,
        WakeTrigger,
    )
    from device.speech.vad import Vad

    audio = settings.audio
    try:
        if args.input_wav:
            mic: Any = WavMicrophone(
                args.input_wav,
                audio.frame_ms,
                max_seconds=settings.input.max_wav_s,
                max_bytes=int(settings.input.max_wav_mb * 1_000_000),
            )
        else:
            mic = DeviceMicrophone(audio.input_device, audio.frame_ms)
        if settings.trigger.mode == "wake":
            trigger: Trigger = WakeTrigger(mic, _spotter(settings))
        elif args.input_wav:
            trigger = ScriptedTrigger(len(args.input_wav))
        elif settings.trigger.mode == "gpio":
            trigger = GpioTrigger(settings.trigger.gpio_pin, settings.trigger.hold_s)
        else:
            trigger = KeyTrigger()
        speaker: Any = (
            RecordingSpeaker(args.output_dir)
            if args.output_dir or args.input_wav
            else DeviceSpeaker(audio.output_device)
        )
    except SoundError as exc:
        print(f"hemassist: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # a bad --input-wav, no gpiozero, no Vosk model for the phrase
        print(f"hemassist: {exc}", file=sys.stderr)
        return EXIT_ERROR
    assistant = assistant_for(settings)
    if assistant is None:
        return EXIT_ERROR
    pipeline = voice_pipeline(settings, assistant)
    if pipeline is None:
        return EXIT_ERROR
    pipeline.prime()
    pipeline.build_domains()
    assistant.warm_up()
    recorder = recorder_for(settings)
    service = telemetry_service(settings)
    fixed_now = parse_now(args.now, settings)
    endpoint = EndpointConfig(
        frame_ms=audio.frame_ms,
        trailing_silence_ms=audio.trailing_silence_ms,
        max_utterance_ms=int(audio.max_utterance_s * 1000),
        no_speech_timeout_ms=int(audio.no_speech_timeout_s * 1000),
    )

    def on_turn(voice: Any) -> None:
        recorder(voice.turn, engine=voice.transcript.engine, extra_ms=voice.timings_ms)
        print(json.dumps(voice.as_dict(), ensure_ascii=False), flush=True)

    def on_verdict(turn: Any) -> None:
        recorder(turn)
        print(json.dumps(turn.as_dict(), ensure_ascii=False), flush=True)

    try:
        run_loop(
            pipeline,
            mic,
            speaker,
            trigger,
            Vad(audio.vad_aggressiveness, audio.frame_ms),
            endpoint,
            settings.language,
            on_turn=on_turn,
            now=lambda: fixed_now,
            announce=lambda text: print(text, file=sys.stderr),
            on_verdict=on_verdict,
        )
    finally:
        if service is not None:
            service.stop()
    return EXIT_OK


def _spotter(settings: Settings) -> Any:
    """The wake-phrase spotter: the configured Vosk model with a grammar of just the phrase."""
    from device.models.install import model_path
    from device.models.site import manifest_for
    from device.nlu.recognizer import load_templates
    from device.nlu.template_words import template_words
    from device.settings import CONFIG_DIR
    from device.speech.stt_vosk import PhraseSpotter, VoskStt

    folder = model_path(manifest_for(settings).get(settings.speech.vosk_model), settings.models.dir)
    templates = load_templates(CONFIG_DIR / "sentences")
    others = sorted(template_words(templates[settings.language]))
    return PhraseSpotter(VoskStt(folder), settings.trigger.wake_phrase, others)
