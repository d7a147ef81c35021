"""Speech benchmarks: word error rate and real-time factor per engine on recorded speech;
Piper's time to first audio and real-time factor; end of speech → first audio out on template
questions; peak memory of `hemassist run` with its models loaded.

    .venv/bin/python -m bench.bench_speech --speech ../shared/speech [--limit 50]

Targets (issue "Speak and listen"): end of speech → first audio <= 600 ms p95 on template
questions; Piper time to first audio <= 250 ms; peak memory <= 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

from bench.bench_templates import percentile
from device.settings import SpeechSettings
from device.speech.audio import join, read_wav, write_wav
from device.speech.factory import whisper_examples
from device.speech.stt_vosk import VoskStt
from device.speech.stt_whisper import WhisperStt
from device.speech.tts_espeak import EspeakTts
from device.speech.tts_piper import PiperTts

ROOT = Path(__file__).resolve().parent.parent
MODELS = Path(os.environ.get("HEMASSIST_MODELS__DIR", ROOT / ".models"))
EXAMPLES = whisper_examples(SpeechSettings())  # the shipped prompt
QUESTIONS = [
    "Who is my next visit?",
    "Does Greta have any allergies?",
    "Does Bertil have any pets?",
    "What medication does Greta take?",
    "Where does Yusuf live?",
    "Who is the nurse?",
    "How many visits do I have today?",
    "What should I do at Yusuf's?",
    "What is Anna's daughter's number?",
    "Who is the coordinator?",
]


def words(text: str) -> list[str]:
    return re.sub(r"[^\w\s']", " ", text.lower()).split()


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        previous, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (r != h))
    return row[-1]


def wer_rtf(engine: object, clips: list[dict[str, object]], folder: Path) -> tuple[float, float]:
    errors = total = 0
    audio_s = compute_s = 0.0
    for clip in clips:
        audio = read_wav(folder / str(clip["audio"]))
        started = time.perf_counter()
        text = engine.transcribe(audio, open_vocabulary=True).text  # type: ignore[attr-defined]
        compute_s += time.perf_counter() - started
        audio_s += audio.seconds
        ref = words(str(clip["text"]))
        errors += edit_distance(ref, words(text))
        total += len(ref)
    return errors / max(total, 1), compute_s / audio_s


def main() -> None:
    parser = argparse.ArgumentParser(description="speech benchmarks")
    parser.add_argument("--speech", type=Path, required=True, help="the shared/speech folder")
    parser.add_argument("--limit", type=int, default=50, help="clips per language")
    args = parser.parse_args()
    print(
        f"hemassist speech benchmark — {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; vosk {version('vosk')}, faster-whisper "
        f"{version('faster-whisper')}, ctranslate2 {version('ctranslate2')}, piper-tts "
        f"{version('piper-tts')}, onnxruntime {version('onnxruntime')}"
    )

    print("\n== speech-to-text: WER and real-time factor (open vocabulary)")
    for lang in ("sv", "en"):
        folder = args.speech / f"{lang}-commonvoice"
        clips = [json.loads(line) for line in (folder / "manifest.jsonl").read_text().splitlines()]
        clips = clips[: args.limit]
        whisper = WhisperStt(
            MODELS / "whisper-base", threads=2, languages=(lang,), examples=EXAMPLES
        )
        wer, rtf = wer_rtf(whisper, clips, folder)
        print(
            f"whisper-base (int8, 2 threads)  {lang}  n={len(clips)}  WER {wer:.1%}  RTF {rtf:.2f}"
        )
        vosk = VoskStt(MODELS / "vosk-ko")
        wer, rtf = wer_rtf(vosk, clips, folder)
        print(f"vosk-ko (Korean model: RTF only) {lang} n={len(clips)} WER {wer:.1%} RTF {rtf:.2f}")

    print("\n== text-to-speech: time to first audio and real-time factor")
    answers = [
        "The nurse is Sara Holm, phone 031-365 10 99.",
        "Next visit: Anna Andersson, eight o'clock, morning. Address: Linnégatan 12.",
        "No allergies are recorded for Greta Nilsson.",
    ] * 4
    for name, voice in (
        ("piper en_US-joe-medium", PiperTts(MODELS / "piper-en-joe")),
        ("espeak-ng sv", EspeakTts("sv")),
    ):
        firsts, rtfs = [], []
        for text in answers:
            started = time.perf_counter()
            chunks = []
            for chunk in voice.speak(text):
                if not chunks:
                    firsts.append((time.perf_counter() - started) * 1000)
                chunks.append(chunk)
            rtfs.append((time.perf_counter() - started) / join(chunks).seconds)
        print(
            f"{name:24} first audio p50 {statistics.median(firsts):.0f} ms, p95 "
            f"{percentile(firsts, 0.95):.0f} ms; RTF {statistics.median(rtfs):.2f}"
        )

    print("\n== end of speech → first audio out, template questions (Piper-spoken, English)")
    from device.assistant import Assistant
    from device.care.fhir_import import parse_bundle
    from device.nlu.recognizer import load_templates
    from device.settings import CONFIG_DIR, load_settings
    from device.speech.pipeline import VoicePipeline
    from device.speech.tts import Voices

    joe = PiperTts(MODELS / "piper-en-joe")
    settings = load_settings()
    assistant = Assistant(settings, load_templates(CONFIG_DIR / "sentences"), None)
    assistant.use_care(parse_bundle((ROOT / "tests/data/example-bundle.json").read_bytes()).care)
    spoken = [join(list(joe.speak(q))) for q in QUESTIONS]
    for label, stt in (
        (
            "whisper-base, en",
            WhisperStt(MODELS / "whisper-base", languages=("en",), examples=EXAMPLES),
        ),
    ):
        pipeline = VoicePipeline(assistant, stt, Voices({"en": joe}, {}), second_pass=False)
        pipeline.prime()
        firsts, stts = [], []
        for _ in range(2):
            for audio in spoken:
                turn = pipeline.turn(audio)
                firsts.append(turn.timings_ms["first_audio"])
                stts.append(turn.timings_ms["stt"])
        print(
            f"{label:20} first audio p50 {statistics.median(firsts):.0f} ms, p95 "
            f"{percentile(firsts, 0.95):.0f} ms (of which speech-to-text p50 "
            f"{statistics.median(stts):.0f} ms)"
        )

    print("\n== peak memory of `hemassist run` (whisper-base + Piper joe + espeak-ng loaded)")
    with tempfile.TemporaryDirectory() as tmp:
        question = Path(tmp) / "q.wav"
        write_wav(question, spoken[0])
        env = {
            **os.environ,
            "HEMASSIST_DATA_DIR": tmp,
            "HEMASSIST_MODELS__DIR": str(MODELS),
            "HEMASSIST_SPEECH__ENGINE": "whisper",
            "HEMASSIST_SPEECH__WHISPER_MODEL": "whisper-base",
            "HEMASSIST_SPEECH__WHISPER_LANGUAGE": "en",
            "HEMASSIST_STORE__RETENTION_DAYS": "3650",
        }
        hemassist = [sys.executable, "-m", "device.cli"]
        subprocess.run(
            [*hemassist, "import-fhir", str(ROOT / "tests/data/example-bundle.json")],
            env=env,
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [*hemassist, "run", "--input-wav", str(question), "--output-dir", tmp],
            env=env,
            check=True,
            capture_output=True,
        )
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"peak resident memory: {peak:.0f} MB")


if __name__ == "__main__":
    main()
